// File: postgres_database.hpp
// The PostgreSQL backend of Database, over libpq. One server shared by every process of a fleet
// keeps bookings correct across processes and machines, as one SQLite file does on one machine.
//
//   PostgresOptions o;
//   o.url = "postgresql://voxline:secret@db.internal:5432/shop?sslmode=require";
//   VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, open_postgres_database(o));
//   VOXLINE_RETURN_IF_ERROR(db->migrate(service_desk_migrations(db->dialect()).value()));
//
// Connections (each set up the same way):
//   - opened from `url` (libpq URI syntax: postgresql://[user[:password]@][host][:port][/db][?k=v&...],
//     every libpq parameter such as sslmode is accepted) within `connect_timeout`;
//   - the session runs with TimeZone=UTC, DateStyle=ISO and client_encoding UTF8;
//   - a per-connection LRU cache of prepared statements keyed by SQL text (the portable `?`
//     placeholders are rewritten to $1..$n once, when the statement is prepared);
//   - pooled by Database (a bounded pool with a deadline on acquire).
// Deadlines: BEGIN sets `statement_timeout` (and idle_in_transaction_session_timeout) to what is
// left of the transaction's deadline, so the server stops a statement even if this process
// is gone; a statement still running when the deadline passes is cancelled with PQcancel and
// returns TIMEOUT; the connection stays usable (the transaction is aborted and rolls back).
// Reconnect: a connection that the server closed (restart, failover, idle kill) is detected on
// its next BEGIN, reset within the deadline and the BEGIN retried once, so no caller sees a stale
// handle; a connection that breaks inside a transaction fails that transaction with UNAVAILABLE
// and is replaced by the pool.
// Types: INTEGER/REAL/TEXT/BLOB map to bigint/integer, double precision, text and bytea. Times
// are `timestamptz` columns; the portable subset still passes them as INTEGER Unix milliseconds:
// a parameter the server types as timestamptz is sent as that instant, and a timestamptz
// column is read back as INTEGER milliseconds. booleans read as 0/1, numeric as INTEGER when
// integral, else REAL.
// Transactions: kWrite is READ COMMITTED (rows are re-checked by the constraints, the overlap
// rule is an exclusion constraint); kRead is REPEATABLE READ READ ONLY (one snapshot). A failed
// statement aborts the transaction (PostgreSQL refuses further statements until rollback or a
// savepoint rollback); commit() of such a transaction returns FAILED_PRECONDITION, never OK.
// Errors: SQLSTATE classes map to the canonical codes (pg_errors.cpp: 23505/23P01 CONFLICT,
// 23502/23503/23514/22xxx/42xxx INVALID_ARGUMENT, 57014/55P03 TIMEOUT, 08xxx/57P0x/53xxx
// UNAVAILABLE, 28xxx UNAUTHENTICATED, 40001/40P01 CONFLICT); violations carry a DbError with the
// server's constraint name. Migrations are recorded in the table voxline_schema_migrations under
// an advisory lock, so processes migrating at once serialise. health_check() runs a round trip
// and reads the server version, recovery state and schema version.
// Lifetime/thread-safety: as Database.
#pragma once

#include <memory>
#include <string>

#include "voxline/core/defaults.hpp"
#include "voxline/storage/database.hpp"

namespace voxline {

struct PostgresOptions {
  std::string url;  // postgresql://... or postgres://...
  Duration connect_timeout = std::chrono::seconds(5);
  size_t statement_cache_size = 64;  // prepared statements kept per connection
  DatabaseOptions database;
};

// True for a URL this backend takes ("postgresql://", "postgres://").
VOXLINE_API bool is_postgres_url(std::string_view url) noexcept;
// `url` with its password replaced by "***" (for logs and messages).
VOXLINE_API std::string redact_postgres_url(std::string_view url);

// Checks the URL and opens one connection now, so a wrong host, database or password shows up
// here (UNAVAILABLE, NOT_FOUND or UNAUTHENTICATED), not at the first query.
VOXLINE_API Result<std::unique_ptr<Database>> open_postgres_database(const PostgresOptions &options);

}  // namespace voxline
