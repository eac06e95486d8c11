// CallLogRepository: one row per call, upserted by call_id.
#include "voxline/storage/call_log_repository.hpp"

#include <fmt/format.h>

#include "storage/sql/repo_util.hpp"
#include "voxline/core/json.hpp"
#include "voxline/core/log.hpp"

namespace voxline {

Result<CallLog> CallLogRepository::save(Transaction &tx, const CallLog &in) {
  VOXLINE_ASSIGN_OR_RETURN(std::string call_id, detail::clean_text(in.call_id, "call id", 128));
  VOXLINE_ASSIGN_OR_RETURN(std::string from, detail::clean_text(in.from_number, "caller number", 40));
  VOXLINE_ASSIGN_OR_RETURN(std::string to, detail::clean_text(in.to_number, "called number", 40));
  // An unset start (the epoch) means the call starts now.
  const int64_t started = to_unix_ms(in.started_at == WallTime{} ? clock_->wall_now() : in.started_at);
  std::optional<int64_t> ended;
  if (in.ended_at) {
    ended = to_unix_ms(*in.ended_at);
    if (*ended < started) return invalid_argument("call ended before it started");
  }
  std::optional<int64_t> duration = in.duration_ms;
  if (!duration && ended) duration = *ended - started;
  if (duration && *duration < 0) return invalid_argument("call duration is negative");
  if (in.tool_calls < 0 || in.prompt_tokens < 0 || in.completion_tokens < 0) {
    return invalid_argument("tool call and token counts cannot be negative");
  }
  Result<json::Document> transcript = json::parse(in.transcript_json);
  if (!transcript.ok()) return transcript.status().with_context("call transcript is not valid JSON");
  std::optional<std::string> error;
  if (in.error) {
    // Provider errors may quote request headers: never store a credential in a call log.
    std::string redacted = default_logger().redactor().redact(*in.error);
    if (redacted.size() > 4000) redacted.resize(4000);
    error = std::move(redacted);
  }
  if (in.customer_id) {
    VOXLINE_ASSIGN_OR_RETURN(std::optional<Row> c,
                             tx.query_row("SELECT id FROM customers WHERE id = ?", {*in.customer_id}));
    if (!c) return not_found(fmt::format("customer {} does not exist", *in.customer_id));
  }
  VOXLINE_ASSIGN_OR_RETURN(
      std::optional<Row> row,
      tx.query_row(
          "INSERT INTO call_logs (call_id, from_number, to_number, customer_id, started_at_ms, ended_at_ms, "
          "duration_ms, outcome, transcript_json, tool_calls, prompt_tokens, completion_tokens, error) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (call_id) DO UPDATE SET from_number = excluded.from_number, "
          "to_number = excluded.to_number, customer_id = excluded.customer_id, "
          "started_at_ms = excluded.started_at_ms, ended_at_ms = excluded.ended_at_ms, "
          "duration_ms = excluded.duration_ms, outcome = excluded.outcome, "
          "transcript_json = excluded.transcript_json, tool_calls = excluded.tool_calls, "
          "prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens, "
          "error = excluded.error RETURNING id",
          {call_id, from, to, in.customer_id, started, ended, duration, call_outcome_name(in.outcome),
           in.transcript_json, in.tool_calls, in.prompt_tokens, in.completion_tokens, error}));
  if (!row) return internal_error("INSERT ... RETURNING gave no row");
  return get_by_call_id(tx, call_id);
}

Result<CallLog> CallLogRepository::get_by_call_id(Transaction &tx, std::string_view call_id) {
  VOXLINE_ASSIGN_OR_RETURN(
      std::optional<Row> row,
      tx.query_row(std::string("SELECT ") + detail::kCallLogColumns + " FROM call_logs WHERE call_id = ?",
                   {call_id}));
  if (!row) return not_found(fmt::format("no call log for call id '{}'", call_id));
  return detail::call_log_from_row(*row);
}

static Result<std::vector<CallLog>> to_call_logs(const Rows &rows) {
  std::vector<CallLog> out;
  out.reserve(rows.size());
  for (const Row &r : rows) {
    VOXLINE_ASSIGN_OR_RETURN(CallLog c, detail::call_log_from_row(r));
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<CallLog>> CallLogRepository::list_for_customer(Transaction &tx, int64_t customer_id,
                                                                  int limit) {
  if (limit <= 0) return invalid_argument("limit must be positive");
  VOXLINE_ASSIGN_OR_RETURN(Rows rows, tx.query(std::string("SELECT ") + detail::kCallLogColumns +
                                                   " FROM call_logs WHERE customer_id = ? "
                                                   "ORDER BY started_at_ms DESC, id DESC LIMIT ?",
                                               {customer_id, limit}));
  return to_call_logs(rows);
}

Result<std::vector<CallLog>> CallLogRepository::list_in_range(Transaction &tx, WallTime from, WallTime to,
                                                              int limit) {
  if (limit <= 0) return invalid_argument("limit must be positive");
  VOXLINE_ASSIGN_OR_RETURN(Rows rows,
                           tx.query(std::string("SELECT ") + detail::kCallLogColumns +
                                        " FROM call_logs WHERE started_at_ms >= ? AND started_at_ms < ? "
                                        "ORDER BY started_at_ms, id LIMIT ?",
                                    {to_unix_ms(from), to_unix_ms(to), limit}));
  return to_call_logs(rows);
}

}  // namespace voxline
