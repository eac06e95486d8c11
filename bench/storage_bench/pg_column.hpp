// File: pg_column.hpp
// storage_bench's PostgreSQL column: starts its own PostgreSQL server (the PostgresServer test
// support: initdb into a temp dir, loopback port, fsync off), loads the same customers into a
// database of the service-desk schema, and measures customer lookups per second (1 and 8 threads)
// and bookings per second (1 writer and 8 writers, one write transaction per booking), then runs
// `pgbench` against the same server in the same run as the baseline: select-only (-S) and the
// default TPC-B-like script, with 1 and 8 clients.
// Thread-safety: call from one thread; it starts and joins its own worker threads.
#pragma once

namespace voxline::bench {

// Prints the column (or why it was skipped: no PostgreSQL binaries). Returns false on a failure.
bool run_postgres_column(int customers, int lookups, int bookings, int pgbench_seconds);

}  // namespace voxline::bench
