// PostgresDatabase's own behaviour against a real server: connection errors, reconnect after the
// server drops or restarts, server-side cancellation and statement_timeout, aborted transactions,
// timestamptz as Unix milliseconds, and the faults of issue 13 (server stopped mid-transaction).
#include <chrono>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "integration/storage/pg_harness.hpp"
#include "voxline/core/health.hpp"

namespace voxline::testing {
namespace {

using db_contract::exec;
using db_contract::scalar;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct PgDb {
  PostgresServer &server;
  MetricsRegistry metrics;
  PgTestDatabase database;
  std::unique_ptr<Database> db;
  explicit PgDb(PostgresServer &s, size_t pool = 2) : server(s), database(s, "backend") {
    REQUIRE_MESSAGE(database.status().ok(), database.status().to_string());
    db = open_pg(database.url(), metrics, pool);
  }
  ~PgDb() { db.reset(); }
  // Backend pids of this database's sessions other than the admin's.
  int sessions() {
    auto n = server.admin("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + database.name() +
                          "' AND application_name = 'voxline'");
    REQUIRE(n.ok());
    return std::stoi(*n);
  }
};

TEST_CASE("a URL that is not postgresql://, an unknown database and a closed port are refused at open") {
  PostgresServer *pg = pg_server_or_skip();
  if (pg == nullptr) return;
  MetricsRegistry m;
  auto bad = open_postgres_database(pg_options("mysql://x", m));
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
  auto missing = open_postgres_database(pg_options(pg->url("no_such_database"), m));
  CHECK_MESSAGE(missing.status().code() == StatusCode::kNotFound, missing.status().to_string());
  PostgresOptions closed =
      pg_options("postgresql://u:secret@127.0.0.1:" + std::to_string(free_loopback_port()) + "/x", m);
  auto refused = open_postgres_database(closed);
  CHECK(refused.status().code() == StatusCode::kUnavailable);
  CHECK(refused.status().message().find("secret") == std::string::npos);
  CHECK(refused.status().message().find("u:***@127.0.0.1") != std::string::npos);
}

TEST_CASE("pooled connections the server terminated are replaced on the next begin, unseen by callers") {
  PostgresServer *pg = pg_server_or_skip();
  if (pg == nullptr) return;
  PgDb t(*pg, 2);
  exec(*t.db, "CREATE TABLE t (x INTEGER)");
  {  // two connections in the pool
    auto a = t.db->begin();
    auto b = t.db->begin();
    REQUIRE(a.ok());
    REQUIRE(b.ok());
  }
  CHECK(t.db->connections_open() == 2);
  REQUIRE(pg->admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                    t.database.name() + "' AND pid <> pg_backend_pid()")
              .ok());
  for (int i = 0; i < 4; ++i) exec(*t.db, "INSERT INTO t (x) VALUES (?)", {i});
  CHECK(scalar(*t.db, "SELECT count(*) AS n FROM t") == 4);
  CHECK(t.db->connections_open() <= 2);
}

TEST_CASE("a statement past its deadline is cancelled on the server, not just abandoned") {
  PostgresServer *pg = pg_server_or_skip();
  if (pg == nullptr) return;
  PgDb t(*pg, 1);
  const auto t0 = std::chrono::steady_clock::now();
  {
    auto tx = t.db->begin(TxMode::kRead, Deadline::after(milliseconds(300)));
    REQUIRE(tx.ok());
    auto r = tx->query("SELECT pg_sleep(20)");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kTimeout);
    CHECK(r.status().message().find("cancelled server-side") != std::string::npos);
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < milliseconds(2000));
  // The server is not still sleeping on our behalf, and the same connection serves the next call.
  auto active = pg->admin("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + t.database.name() +
                          "' AND state = 'active' AND query LIKE 'SELECT pg_sleep%'");
  REQUIRE(active.ok());
  CHECK(*active == "0");
  CHECK(scalar(*t.db, "SELECT 41 + 1 AS n") == 42);
  CHECK(t.db->connections_open() == 1);
}

TEST_CASE("BEGIN hands the transaction's deadline to the server as statement_timeout") {
  PostgresServer *pg = pg_server_or_skip();
  if (pg == nullptr) return;
  PgDb t(*pg, 1);
  auto tx = t.db->begin(TxMode::kRead, Deadline::after(seconds(10)));
  REQUIRE(tx.ok());
  auto row = tx->query_row("SELECT setting AS v FROM pg_settings WHERE name = 'statement_timeout'");
  REQUIRE(row.ok());
  const std::string v = (*row)->get_string("v").value();  // milliseconds
  const long ms = std::stol(v);
  CHECK(ms > 9000);
  CHECK(ms <= 11000);
  REQUIRE(tx->commit().ok());
  auto after = t.db->begin(TxMode::kRead, Deadline::after(seconds(600)));
  REQUIRE(after.ok());
  CHECK(after->query_row("SELECT setting AS v FROM pg_settings WHERE name = 'statement_timeout'")
            .value()
            ->get_string("v")
            .value() != v);  // SET LOCAL: each transaction its own
}

TEST_CASE("commit of a transaction aborted by a failed statement is FAILED_PRECONDITION and writes nothing") {
  PostgresServer *pg = pg_server_or_skip();
  if (pg == nullptr) return;
  PgDb t(*pg);
  exec(*t.db, "CREATE TABLE t (x INTEGER CONSTRAINT t_small CHECK (x < 10))");
  auto tx = t.db->begin();
  REQUIRE(tx.ok());
  REQUIRE(tx->execute("INSERT INTO t (x) VALUES (1)").ok());
  CHECK(tx->execute("INSERT INTO t (x) VALUES (99)").status().code() == StatusCode::kInvalidArgument);
  auto refused = tx->execute("INSERT INTO t (x) VALUES (2)");
  CHECK(refused.status().code() == StatusCode::kFailedPrecondition);  // 25P02
  Status c = tx->commit();
  CHECK(c.code() == StatusCode::kFailedPrecondition);
  CHECK(scalar(*t.db, "SELECT count(*) AS n FROM t") == 0);
  CHECK(t.db->connections_open() >= 1);
}

TEST_CASE("timestamptz columns take and give Unix milliseconds, exactly, before and after 1970") {
  PostgresServer *pg = pg_server_or_skip();
  if (pg == nullptr) return;
  PgDb t(*pg);
  exec(*t.db, "CREATE TABLE ev (id INTEGER PRIMARY KEY, at timestamptz NOT NULL)");
  const int64_t values[] = {0, 1, -1, 1893974400123, -86400001, 253402300799999};
  int id = 0;
  for (int64_t v : values) exec(*t.db, "INSERT INTO ev (id, at) VALUES (?, ?)", {++id, v});
  auto tx = t.db->begin(TxMode::kRead);
  REQUIRE(tx.ok());
  auto rows = tx->query("SELECT at, (extract(epoch FROM at) * 1000)::bigint AS ms FROM ev ORDER BY id");
  REQUIRE_MESSAGE(rows.ok(), rows.status().to_string());
  REQUIRE(rows->size() == 6);
  for (size_t i = 0; i < 6; ++i) {
    CHECK((*rows)[i].get_int64("at").value() == values[i]);
    CHECK((*rows)[i].get_int64("ms").value() == values[i]);
  }
  // Comparisons with bound milliseconds, and the server agrees on the instant.
  CHECK(tx->query("SELECT id FROM ev WHERE at >= ? AND at < ?", {int64_t{0}, int64_t{2}})->size() == 2);
  CHECK(tx->query_row("SELECT to_char(at, 'YYYY-MM-DD HH24:MI:SS.MS') AS s FROM ev WHERE id = 4")
            .value()
            ->get_string("s")
            .value() == "2030-01-07 00:00:00.123");
}

TEST_CASE("the health check names the server and schema, and turns unhealthy when the server is gone") {
  if (PostgresServer::unavailable_reason()) {
    (void)pg_server_or_skip();
    return;
  }
  PostgresServer own;
  REQUIRE(own.start().ok());
  MetricsRegistry m;
  PostgresOptions o = pg_options(own.url(), m, 1);
  o.connect_timeout = milliseconds(500);
  auto db = open_postgres_database(o);
  REQUIRE(db.ok());
  HealthCheck ok = (*db)->health_check(Deadline::after(seconds(5)));
  CHECK_MESSAGE(ok.ok, ok.detail);
  CHECK(ok.detail.find("server 15") != std::string::npos);
  own.stop();
  HealthCheck down = (*db)->health_check(Deadline::after(seconds(2)));
  CHECK_FALSE(down.ok);
  CHECK(down.detail.find("127.0.0.1:" + std::to_string(own.port())) != std::string::npos);
  REQUIRE(own.start().ok());
  HealthCheck back = (*db)->health_check(Deadline::after(seconds(5)));
  CHECK_MESSAGE(back.ok, back.detail);
}

TEST_CASE(
    "fault: the server stopped mid-transaction fails it within its deadline, no partial row, pool recovers") {
  if (PostgresServer::unavailable_reason()) {
    (void)pg_server_or_skip();
    return;
  }
  PostgresServer own;
  REQUIRE(own.start().ok());
  MetricsRegistry m;
  PostgresOptions o = pg_options(own.url(), m, 2);
  o.connect_timeout = milliseconds(500);
  auto opened = open_postgres_database(o);
  REQUIRE(opened.ok());
  Database &db = **opened;
  exec(db, "CREATE TABLE t (x INTEGER)");
  const auto t0 = std::chrono::steady_clock::now();
  {
    auto tx = db.begin(TxMode::kWrite, Deadline::after(seconds(3)));
    REQUIRE(tx.ok());
    REQUIRE(tx->execute("INSERT INTO t (x) VALUES (1)").ok());
    own.stop_immediate();  // every backend dies at once, as in a crash
    auto second = tx->execute("INSERT INTO t (x) VALUES (2)");
    CHECK(second.status().code() == StatusCode::kUnavailable);
    Status c = tx->commit();
    CHECK_FALSE(c.ok());
  }
  CHECK(std::chrono::steady_clock::now() - t0 < seconds(3));
  // While the server is down: UNAVAILABLE (or TIMEOUT) within the deadline, never a hang.
  const auto t1 = std::chrono::steady_clock::now();
  auto down = db.begin(TxMode::kWrite, Deadline::after(seconds(1)));
  CHECK_FALSE(down.ok());
  CHECK(std::chrono::steady_clock::now() - t1 < seconds(2));
  REQUIRE(own.start().ok());                              // same port, recovers from WAL
  CHECK(scalar(db, "SELECT count(*) AS n FROM t") == 0);  // the uncommitted row is gone
  exec(db, "INSERT INTO t (x) VALUES (3)");
  CHECK(scalar(db, "SELECT sum(x) AS s FROM t") == 3);
}

TEST_CASE("fault: after a clean server restart the next transaction runs on a fresh connection") {
  if (PostgresServer::unavailable_reason()) {
    (void)pg_server_or_skip();
    return;
  }
  PostgresServer own;
  REQUIRE(own.start().ok());
  MetricsRegistry m;
  auto opened = open_postgres_database(pg_options(own.url(), m, 3));
  REQUIRE(opened.ok());
  Database &db = **opened;
  exec(db, "CREATE TABLE t (x INTEGER)");
  exec(db, "INSERT INTO t (x) VALUES (?)", {1});  // leaves a cached prepared statement
  REQUIRE(own.restart().ok());
  exec(db, "INSERT INTO t (x) VALUES (?)", {2});  // re-prepared on the new session
  CHECK(scalar(db, "SELECT count(*) AS n FROM t") == 2);
}

}  // namespace
}  // namespace voxline::testing
