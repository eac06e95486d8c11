// SQLite result code -> Status. Constraint failures keep SQLite's text, which names the
// constraint ("UNIQUE constraint failed: customers.phone", "CHECK constraint failed: vin_format").
#include "storage/sql/sqlite_errors.hpp"

#include <fmt/format.h>

namespace voxline::detail {

Status sqlite_status(int extended, std::string_view message, std::string_view what) {
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

}  // namespace voxline::detail
