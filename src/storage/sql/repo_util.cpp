// Repository helpers: input text checks and decoding rows into records.
#include "storage/sql/repo_util.hpp"

#include <cctype>

#include <fmt/format.h>

namespace voxline::detail {

Result<std::string> clean_text(std::string_view text, std::string_view field, size_t max, bool multiline) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
  if (text.empty()) return invalid_argument(fmt::format("{} is empty", field));
  if (text.size() > max) return invalid_argument(fmt::format("{} is longer than {} bytes", field, max));
  for (char ch : text) {
    auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f) {
      if (multiline && (ch == '\n' || ch == '\t' || ch == '\r')) continue;
      return invalid_argument(fmt::format("{} contains a control character", field));
    }
  }
  return std::string(text);
}

Result<std::optional<std::string>> clean_optional_text(const std::optional<std::string> &text,
                                                       std::string_view field, size_t max, bool multiline) {
  if (!text) return std::optional<std::string>();
  bool blank = true;
  for (char ch : *text) blank = blank && std::isspace(static_cast<unsigned char>(ch)) != 0;
  if (blank) return std::optional<std::string>();
  VOXLINE_ASSIGN_OR_RETURN(std::string s, clean_text(*text, field, max, multiline));
  return std::optional<std::string>(std::move(s));
}

Result<WallTime> get_time(const Row &r, std::string_view column) {
  VOXLINE_ASSIGN_OR_RETURN(int64_t ms, r.get_int64(column));
  return from_unix_ms(ms);
}

Result<std::optional<WallTime>> get_optional_time(const Row &r, std::string_view column) {
  VOXLINE_ASSIGN_OR_RETURN(std::optional<int64_t> ms, r.get_optional_int64(column));
  if (!ms) return std::optional<WallTime>();
  return std::optional<WallTime>(from_unix_ms(*ms));
}

Result<Customer> customer_from_row(const Row &r) {
  Customer c;
  VOXLINE_ASSIGN_OR_RETURN(c.id, r.get_int64("id"));
  VOXLINE_ASSIGN_OR_RETURN(c.name, r.get_string("name"));
  VOXLINE_ASSIGN_OR_RETURN(c.phone, r.get_string("phone"));
  VOXLINE_ASSIGN_OR_RETURN(c.email, r.get_optional_string("email"));
  VOXLINE_ASSIGN_OR_RETURN(c.created_at, get_time(r, "created_at_ms"));
  VOXLINE_ASSIGN_OR_RETURN(c.updated_at, get_time(r, "updated_at_ms"));
  return c;
}

Result<Vehicle> vehicle_from_row(const Row &r) {
  Vehicle v;
  VOXLINE_ASSIGN_OR_RETURN(v.id, r.get_int64("id"));
  VOXLINE_ASSIGN_OR_RETURN(v.customer_id, r.get_int64("customer_id"));
  VOXLINE_ASSIGN_OR_RETURN(v.vin, r.get_string("vin"));
  VOXLINE_ASSIGN_OR_RETURN(v.year, r.get_int("year"));
  VOXLINE_ASSIGN_OR_RETURN(v.make, r.get_string("make"));
  VOXLINE_ASSIGN_OR_RETURN(v.model, r.get_string("model"));
  VOXLINE_ASSIGN_OR_RETURN(v.created_at, get_time(r, "created_at_ms"));
  return v;
}

Result<Appointment> appointment_from_row(const Row &r) {
  Appointment a;
  VOXLINE_ASSIGN_OR_RETURN(a.id, r.get_int64("id"));
  VOXLINE_ASSIGN_OR_RETURN(a.customer_id, r.get_int64("customer_id"));
  VOXLINE_ASSIGN_OR_RETURN(a.vehicle_id, r.get_optional_int64("vehicle_id"));
  VOXLINE_ASSIGN_OR_RETURN(a.service, r.get_string("service"));
  VOXLINE_ASSIGN_OR_RETURN(a.bay, r.get_int("bay"));
  VOXLINE_ASSIGN_OR_RETURN(a.start, get_time(r, "start_ms"));
  VOXLINE_ASSIGN_OR_RETURN(a.end, get_time(r, "end_ms"));
  VOXLINE_ASSIGN_OR_RETURN(std::string status, r.get_string("status"));
  VOXLINE_ASSIGN_OR_RETURN(a.status, parse_appointment_status(status));
  VOXLINE_ASSIGN_OR_RETURN(a.notes, r.get_optional_string("notes"));
  VOXLINE_ASSIGN_OR_RETURN(a.created_at, get_time(r, "created_at_ms"));
  VOXLINE_ASSIGN_OR_RETURN(a.updated_at, get_time(r, "updated_at_ms"));
  return a;
}

Result<CallLog> call_log_from_row(const Row &r) {
  CallLog c;
  VOXLINE_ASSIGN_OR_RETURN(c.id, r.get_int64("id"));
  VOXLINE_ASSIGN_OR_RETURN(c.call_id, r.get_string("call_id"));
  VOXLINE_ASSIGN_OR_RETURN(c.from_number, r.get_string("from_number"));
  VOXLINE_ASSIGN_OR_RETURN(c.to_number, r.get_string("to_number"));
  VOXLINE_ASSIGN_OR_RETURN(c.customer_id, r.get_optional_int64("customer_id"));
  VOXLINE_ASSIGN_OR_RETURN(c.started_at, get_time(r, "started_at_ms"));
  VOXLINE_ASSIGN_OR_RETURN(c.ended_at, get_optional_time(r, "ended_at_ms"));
  VOXLINE_ASSIGN_OR_RETURN(c.duration_ms, r.get_optional_int64("duration_ms"));
  VOXLINE_ASSIGN_OR_RETURN(std::string outcome, r.get_string("outcome"));
  VOXLINE_ASSIGN_OR_RETURN(c.outcome, parse_call_outcome(outcome));
  VOXLINE_ASSIGN_OR_RETURN(c.transcript_json, r.get_string("transcript_json"));
  VOXLINE_ASSIGN_OR_RETURN(c.tool_calls, r.get_int("tool_calls"));
  VOXLINE_ASSIGN_OR_RETURN(c.prompt_tokens, r.get_int64("prompt_tokens"));
  VOXLINE_ASSIGN_OR_RETURN(c.completion_tokens, r.get_int64("completion_tokens"));
  VOXLINE_ASSIGN_OR_RETURN(c.error, r.get_optional_string("error"));
  return c;
}

}  // namespace voxline::detail
