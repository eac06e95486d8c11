// SQLite result codes map to the canonical Status codes callers act on.
#include <doctest/doctest.h>

#include "storage/sql/sqlite_errors.hpp"

using namespace voxline;

TEST_CASE(
    "sqlite result codes map to CONFLICT, INVALID_ARGUMENT, TIMEOUT, UNAVAILABLE and FAILED_PRECONDITION") {
  struct Case {
    int rc;
    StatusCode code;
  };
  const Case cases[] = {
      {SQLITE_CONSTRAINT_UNIQUE, StatusCode::kConflict},
      {SQLITE_CONSTRAINT_PRIMARYKEY, StatusCode::kConflict},
      {SQLITE_CONSTRAINT_TRIGGER, StatusCode::kConflict},
      {SQLITE_CONSTRAINT_CHECK, StatusCode::kInvalidArgument},
      {SQLITE_CONSTRAINT_NOTNULL, StatusCode::kInvalidArgument},
      {SQLITE_CONSTRAINT_FOREIGNKEY, StatusCode::kInvalidArgument},
      {SQLITE_BUSY, StatusCode::kTimeout},
      {SQLITE_BUSY_SNAPSHOT, StatusCode::kTimeout},
      {SQLITE_LOCKED, StatusCode::kTimeout},
      {SQLITE_INTERRUPT, StatusCode::kTimeout},
      {SQLITE_FULL, StatusCode::kUnavailable},
      {SQLITE_IOERR_FSYNC, StatusCode::kUnavailable},
      {SQLITE_CANTOPEN, StatusCode::kUnavailable},
      {SQLITE_CORRUPT, StatusCode::kFailedPrecondition},
      {SQLITE_NOTADB, StatusCode::kFailedPrecondition},
      {SQLITE_READONLY, StatusCode::kFailedPrecondition},
      {SQLITE_ERROR, StatusCode::kInvalidArgument},
      {SQLITE_MISMATCH, StatusCode::kInvalidArgument},
  };
  for (const Case &c : cases) {
    Status s = detail::sqlite_status(c.rc, "detail text", "step");
    CHECK_MESSAGE(s.code() == c.code, sqlite3_errstr(c.rc) << " -> " << s.to_string());
    CHECK(s.message().find("detail text") != std::string::npos);
    CHECK(s.message().find("sqlite step failed") != std::string::npos);
  }
}

TEST_CASE("sqlite constraint messages become a DbError; other codes carry none") {
  DbError u = detail::sqlite_db_error(SQLITE_CONSTRAINT_UNIQUE,
                                      "UNIQUE constraint failed: appointments.bay, appointments.start_ms");
  CHECK(u.kind == ConstraintKind::kUnique);
  CHECK(u.table == "appointments");
  CHECK(u.columns == std::vector<std::string>{"bay", "start_ms"});
  CHECK(u.constraint == "appointments_bay_start_ms_key");  // PostgreSQL's name until the schema says
  CHECK(detail::sqlite_db_error(SQLITE_CONSTRAINT_UNIQUE, "UNIQUE constraint failed: index 'by_lower_name'")
            .constraint == "by_lower_name");
  CHECK(
      detail::sqlite_db_error(SQLITE_CONSTRAINT_CHECK, "CHECK constraint failed: length(x) > 1").constraint ==
      "length(x) > 1");
  CHECK(detail::sqlite_db_error(SQLITE_CONSTRAINT_TRIGGER, "no code here").constraint.empty());
  CHECK(detail::sqlite_db_error(SQLITE_CONSTRAINT_UNIQUE, "unexpected text").constraint.empty());
  CHECK(detail::sqlite_db_error(SQLITE_BUSY, "database is locked").kind == ConstraintKind::kNone);
  CHECK(detail::sqlite_status(SQLITE_BUSY, "database is locked", "step").detail().get() == nullptr);
  Status s =
      detail::sqlite_status(SQLITE_CONSTRAINT_NOTNULL, "NOT NULL constraint failed: customers.name", "step");
  CHECK(violates(s, ConstraintKind::kNotNull, "customers.name"));
  CHECK(s.detail()->describe() == "NOT NULL customers.name on customers(name) [sqlite 1299, sqlstate 23502]");
}
