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
