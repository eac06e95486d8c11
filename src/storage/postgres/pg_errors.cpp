// SQLSTATE -> Status, with a DbError for constraint violations. PostgreSQL reports the
// constraint, table and column as separate error fields, so no message text is parsed except
// the "<code>: " prefix our triggers RAISE (the same convention as the SQLite triggers).
#include "storage/postgres/pg_errors.hpp"

#include <memory>
#include <utility>

#include <fmt/format.h>

namespace voxline::detail {

StatusCode pg_status_code(std::string_view st) noexcept {
  if (st.size() != 5) return StatusCode::kInternal;
  // Exact codes first.
  if (st == "23505" || st == "23P01") return StatusCode::kConflict;  // unique, exclusion
  if (st == "P0001") return StatusCode::kConflict;                   // our triggers' business rules
  if (st == "40001" || st == "40P01") return StatusCode::kConflict;  // serialization, deadlock
  if (st == "57014" || st == "55P03") return StatusCode::kTimeout;   // cancelled, lock not available
  if (st == "25P03") return StatusCode::kTimeout;                    // idle in transaction timeout
  if (st == "57P01" || st == "57P02" || st == "57P03") return StatusCode::kUnavailable;  // shutdown
  if (st == "3D000") return StatusCode::kNotFound;         // database does not exist
  if (st == "42501") return StatusCode::kUnauthenticated;  // insufficient privilege
  if (st == "0A000") return StatusCode::kUnsupported;
  if (st == "53100" || st == "53200" || st == "53300" || st == "53400") return StatusCode::kUnavailable;
  const std::string_view cls = st.substr(0, 2);
  if (cls == "23" || cls == "22" || cls == "42" || cls == "2F" || cls == "26" || cls == "34" || cls == "44")
    return StatusCode::kInvalidArgument;
  if (cls == "08" || cls == "57" || cls == "58" || cls == "53") return StatusCode::kUnavailable;
  if (cls == "28") return StatusCode::kUnauthenticated;
  if (cls == "25" || cls == "55" || cls == "40") return StatusCode::kFailedPrecondition;
  if (cls == "XX") return StatusCode::kInternal;
  return StatusCode::kInternal;
}

DbError pg_db_error(std::string_view sqlstate, const char *constraint, const char *table, const char *column,
                    std::string_view message) {
  DbError e;
  e.sqlstate = std::string(sqlstate);
  const std::string_view cls = sqlstate.substr(0, 2);
  if (cls != "23" && sqlstate != "P0001") return e;
  if (table != nullptr) e.table = table;
  if (constraint != nullptr) e.constraint = constraint;
  if (sqlstate == "23505") {
    const bool pkey =
        e.constraint.size() > 5 && e.constraint.compare(e.constraint.size() - 5, 5, "_pkey") == 0;
    e.kind = pkey ? ConstraintKind::kPrimaryKey : ConstraintKind::kUnique;
  } else if (sqlstate == "23P01") {
    e.kind = ConstraintKind::kExclusion;
  } else if (sqlstate == "23514") {
    e.kind = ConstraintKind::kCheck;
  } else if (sqlstate == "23502") {
    e.kind = ConstraintKind::kNotNull;
    if (column != nullptr) {
      e.columns.emplace_back(column);
      if (!e.table.empty()) e.constraint = e.table + "." + column;
    }
  } else if (sqlstate == "23503") {
    e.kind = ConstraintKind::kForeignKey;
  } else if (sqlstate == "P0001") {
    // Our triggers RAISE '<code>: <explanation>'; the code names the rule.
    const size_t colon = message.find(':');
    if (colon == std::string_view::npos || colon == 0) return DbError{};  // another RAISE: not ours
    e.kind = ConstraintKind::kTrigger;
    e.constraint = std::string(message.substr(0, colon));
  } else {
    e.kind = ConstraintKind::kOther;
  }
  return e;
}

Status pg_result_status(const PGresult *res, std::string_view what) {
  if (res == nullptr) return unavailable(fmt::format("postgres {} failed: no result", what));
  const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string_view st = sqlstate != nullptr ? sqlstate : "";
  std::string msg = primary != nullptr ? primary : PQresultErrorMessage(res);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const StatusCode code = st.empty() ? StatusCode::kUnavailable : pg_status_code(st);
  Status s = Status::from_external(
      code, fmt::format("postgres {} failed [sqlstate {}]", what, st.empty() ? "-" : st), msg);
  DbError e = pg_db_error(st, PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME),
                          PQresultErrorField(res, PG_DIAG_TABLE_NAME),
                          PQresultErrorField(res, PG_DIAG_COLUMN_NAME), msg);
  if (e.kind == ConstraintKind::kNone) return s;
  return s.with_detail(std::make_shared<const DbError>(std::move(e)));
}

Status pg_connection_status(const PGconn *conn, std::string_view what) {
  std::string msg = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return Status::from_external(StatusCode::kUnavailable, fmt::format("postgres {} failed", what), msg);
}

}  // namespace voxline::detail
