// SQLite result code -> Status, with a DbError for constraint failures. SQLite's messages are
// the only place it names the columns or CHECK constraint ("UNIQUE constraint failed:
// customers.phone", "CHECK constraint failed: vehicles_vin_format"); they are parsed here, once,
// so nothing above the backend reads message text.
#include "storage/sql/sqlite_errors.hpp"

#include <memory>
#include <utility>

#include <fmt/format.h>

namespace voxline::detail {

namespace {

// The canonical code for `extended`, with SQLite's text.
Status sqlite_code_status(int extended, std::string_view message, std::string_view what);

std::string_view after_prefix(std::string_view message, std::string_view prefix) {
  if (message.substr(0, prefix.size()) != prefix) return {};
  return message.substr(prefix.size());
}

// "customers.phone, customers.name" -> table "customers", columns {phone, name}.
void parse_columns(std::string_view list, DbError &e) {
  while (!list.empty()) {
    const size_t comma = list.find(", ");
    std::string_view item = list.substr(0, comma);
    const size_t dot = item.find('.');
    if (dot != std::string_view::npos) {
      if (e.table.empty()) e.table = std::string(item.substr(0, dot));
      e.columns.emplace_back(item.substr(dot + 1));
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 2);
  }
}

std::string join_columns(const std::vector<std::string> &columns) {
  std::string out;
  for (const auto &c : columns) out += (out.empty() ? "" : "_") + c;
  return out;
}

}  // namespace

DbError sqlite_db_error(int extended, std::string_view message) {
  DbError e;
  e.sqlite_code = extended;
  if ((extended & 0xff) != SQLITE_CONSTRAINT) return e;
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE: {
      e.kind = ConstraintKind::kUnique;
      e.sqlstate = "23505";
      std::string_view rest = after_prefix(message, "UNIQUE constraint failed: ");
      std::string_view index = after_prefix(rest, "index '");
      if (!index.empty() && index.back() == '\'') {
        e.constraint = std::string(index.substr(0, index.size() - 1));  // an index on expressions
      } else {
        parse_columns(rest, e);
        if (!e.table.empty()) e.constraint = e.table + "_" + join_columns(e.columns) + "_key";
      }
      break;
    }
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      e.kind = ConstraintKind::kPrimaryKey;
      e.sqlstate = "23505";
      parse_columns(after_prefix(message, "UNIQUE constraint failed: "), e);
      if (!e.table.empty()) e.constraint = e.table + "_pkey";
      break;
    case SQLITE_CONSTRAINT_CHECK:
      e.kind = ConstraintKind::kCheck;
      e.sqlstate = "23514";
      e.constraint = std::string(after_prefix(message, "CHECK constraint failed: "));
      break;
    case SQLITE_CONSTRAINT_NOTNULL:
      e.kind = ConstraintKind::kNotNull;
      e.sqlstate = "23502";
      parse_columns(after_prefix(message, "NOT NULL constraint failed: "), e);
      if (!e.table.empty() && !e.columns.empty()) e.constraint = e.table + "." + e.columns.front();
      break;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      e.kind = ConstraintKind::kForeignKey;  // SQLite does not say which one: see sqlite_constraints
      e.sqlstate = "23503";
      break;
    case SQLITE_CONSTRAINT_TRIGGER: {
      e.kind = ConstraintKind::kTrigger;
      e.sqlstate = "P0001";
      // Our triggers RAISE "<code>: <explanation>"; the code names the rule.
      const size_t colon = message.find(':');
      if (colon != std::string_view::npos && colon > 0) e.constraint = std::string(message.substr(0, colon));
      break;
    }
    default:
      e.kind = ConstraintKind::kOther;
      e.sqlstate = "23000";
      break;
  }
  return e;
}

Status sqlite_status(int extended, std::string_view message, std::string_view what) {
  return sqlite_status(extended, message, what, sqlite_db_error(extended, message));
}

Status sqlite_status(int extended, std::string_view message, std::string_view what, DbError constraint) {
  Status s = sqlite_code_status(extended, message, what);
  if (constraint.kind == ConstraintKind::kNone) return s;
  return s.with_detail(std::make_shared<const DbError>(std::move(constraint)));
}

namespace {

Status sqlite_code_status(int extended, std::string_view message, std::string_view what) {
  const int primary = extended & 0xff;
  std::string text = fmt::format("sqlite {} failed: {} ({})", what, message, sqlite3_errstr(extended));
  switch (extended) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID: return conflict(std::move(text));
    case SQLITE_CONSTRAINT_TRIGGER:
      // Our triggers RAISE(ABORT) only for business rules such as overlapping bookings.
      return conflict(std::move(text));
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_DATATYPE: return invalid_argument(std::move(text));
    default: break;
  }
  switch (primary) {
    case SQLITE_CONSTRAINT: return invalid_argument(std::move(text));
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return timeout_error(std::move(text));
    case SQLITE_INTERRUPT: return timeout_error(std::move(text));
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
    case SQLITE_ERROR: return invalid_argument(std::move(text));
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_SCHEMA: return failed_precondition(std::move(text));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_NOLFS:
    case SQLITE_PERM: return unavailable(std::move(text));
    case SQLITE_NOMEM: return queue_full(std::move(text));
    default: return internal_error(std::move(text));
  }
}

}  // namespace

}  // namespace voxline::detail
