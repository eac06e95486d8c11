// File: database_contract.hpp
// The one contract every Database backend must meet, written once and run on each backend:
// tests/unit/storage (SQLite files) and tests/integration/storage (a real PostgreSQL server). A
// backend test file defines a harness factory and expands the case list:
//
//   #define X(fn, name) TEST_CASE("sqlite: " name) { run_db_contract<SqliteDbFactory>(&db_contract::fn); }
//   VOXLINE_DATABASE_CONTRACT_CASES(X)
//   #undef X
//
// Only the portable subset of database.hpp is used; the few DDL words that differ (an
// auto-generated id, the blob type) and a statement that runs until cancelled come from the
// harness.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "voxline/core/metrics.hpp"
#include "voxline/storage/database.hpp"
#include "voxline/storage/db_error.hpp"

namespace voxline::testing {

class DbHarness {
 public:
  virtual ~DbHarness() = default;
  // The store under test, opened with pool size 4 and metrics().
  virtual Database &db() = 0;
  virtual MetricsRegistry &metrics() = 0;
  // The metrics label ("sqlite", "postgres").
  virtual const char *backend() const = 0;
  // Another pool on the same store, as another process would have.
  virtual std::unique_ptr<Database> open_another(size_t pool_size, MetricsRegistry &metrics) = 0;
  // Closes db() and opens it again (pool size 4).
  virtual void reopen() = 0;
  // A statement that runs for many seconds unless interrupted.
  virtual std::string slow_query() const = 0;
  // Column DDL of an id the store generates on INSERT, and the blob type.
  virtual std::string generated_id() const = 0;
  virtual std::string blob_type() const = 0;
};

template <typename Factory>
void run_db_contract(void (*fn)(DbHarness &)) {
  std::unique_ptr<DbHarness> h = Factory::make();
  if (!h) return;  // the factory has reported why (skip, or FAIL under CI=true)
  fn(*h);
}

namespace db_contract {

inline void exec(Database &db, const std::string &sql, const SqlParams &p = {}) {
  auto tx = db.begin();
  REQUIRE_MESSAGE(tx.ok(), tx.status().to_string());
  auto r = tx->execute(sql, p);
  REQUIRE_MESSAGE(r.ok(), sql << ": " << r.status().to_string());
  Status c = tx->commit();
  REQUIRE_MESSAGE(c.ok(), c.to_string());
}

inline int64_t scalar(Database &db, const std::string &sql, const SqlParams &p = {}) {
  auto tx = db.begin(TxMode::kRead);
  REQUIRE_MESSAGE(tx.ok(), tx.status().to_string());
  auto row = tx->query_row(sql, p);
  REQUIRE_MESSAGE(row.ok(), sql << ": " << row.status().to_string());
  REQUIRE(row->has_value());
  auto v = (*row)->get_int64((*row)->column_names().front());
  REQUIRE_MESSAGE(v.ok(), v.status().to_string());
  return *v;
}

inline uint64_t counter(DbHarness &h, const char *name) {
  return h.metrics().counter(name, "", {{"backend", h.backend()}}).value();
}

// One statement in its own write transaction; its status (the transaction rolls back).
inline Status try_exec(Database &db, const std::string &sql, const SqlParams &p = {}) {
  auto tx = db.begin();
  REQUIRE_MESSAGE(tx.ok(), tx.status().to_string());
  return tx->execute(sql, p).status();
}

inline void uncommitted_rolls_back(DbHarness &h) {
  exec(h.db(), "CREATE TABLE t (x INTEGER)");
  const uint64_t rollbacks = counter(h, "voxline_storage_rollbacks_total");
  {
    auto tx = h.db().begin();
    REQUIRE(tx.ok());
    REQUIRE(tx->execute("INSERT INTO t (x) VALUES (?)", {1}).ok());
    REQUIRE(tx->execute("INSERT INTO t (x) VALUES (?)", {2}).ok());
  }
  CHECK(scalar(h.db(), "SELECT count(*) AS n FROM t") == 0);
  CHECK(counter(h, "voxline_storage_rollbacks_total") >= rollbacks + 1);
  CHECK(h.db().connections_in_use() == 0);
}

inline void committed_survives_reopen(DbHarness &h) {
  exec(h.db(), "CREATE TABLE t (x INTEGER, s TEXT)");
  exec(h.db(), "INSERT INTO t (x, s) VALUES (?, ?)", {7, "seven"});
  h.reopen();
  CHECK(scalar(h.db(), "SELECT x FROM t WHERE s = ?", {"seven"}) == 7);
}

inline void values_are_bound(DbHarness &h) {
  exec(h.db(), "CREATE TABLE t (s TEXT)");
  const std::string evil = "Robert'); DROP TABLE t;-- ? $1 \"x\" \\";
  exec(h.db(), "INSERT INTO t (s) VALUES (?)", {evil});
  auto tx = h.db().begin(TxMode::kRead);
  REQUIRE(tx.ok());
  auto rows = tx->query("SELECT s FROM t WHERE s = ?", {evil});
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].get_string("s").value() == evil);
  // A '?' inside a literal is text, not a placeholder.
  auto lit = tx->query_row("SELECT 'a?b' AS s, CAST(? AS INTEGER) AS n", {5});
  REQUIRE_MESSAGE(lit.ok(), lit.status().to_string());
  CHECK((*lit)->get_string("s").value() == "a?b");
  CHECK((*lit)->get_int64("n").value() == 5);
}

inline void one_statement_and_parameter_count(DbHarness &h) {
  exec(h.db(), "CREATE TABLE t (x INTEGER)");
  {
    auto tx = h.db().begin();
    REQUIRE(tx.ok());
    auto two = tx->execute("INSERT INTO t (x) VALUES (1); DROP TABLE t");
    REQUIRE_FALSE(two.ok());
    CHECK(two.status().code() == StatusCode::kInvalidArgument);
    CHECK(two.status().message().find("one SQL statement") != std::string::npos);
  }
  {
    auto tx = h.db().begin();
    REQUIRE(tx.ok());
    auto count = tx->execute("INSERT INTO t (x) VALUES (?)", {1, 2});
    REQUIRE_FALSE(count.ok());
    CHECK(count.status().message().find("1 placeholders but 2 values") != std::string::npos);
  }
  {
    auto tx = h.db().begin();
    REQUIRE(tx.ok());
    auto syntax = tx->execute("INSERT INTO nope VALUES (?)", {1});
    REQUIRE_FALSE(syntax.ok());
    CHECK(syntax.status().code() == StatusCode::kInvalidArgument);
  }
  CHECK(scalar(h.db(), "SELECT count(*) AS n FROM t") == 0);
}

inline void constraint_violations_name_the_constraint(DbHarness &h) {
  exec(h.db(), "CREATE TABLE p (id BIGINT PRIMARY KEY)");
  exec(h.db(),
       "CREATE TABLE c (id BIGINT PRIMARY KEY, code TEXT NOT NULL UNIQUE, n INTEGER CONSTRAINT n_positive "
       "CHECK (n > 0), p BIGINT REFERENCES p(id))");
  exec(h.db(), "INSERT INTO c (id, code, n) VALUES (?, ?, ?)", {1, "a", 1});

  Status dup = try_exec(h.db(), "INSERT INTO c (id, code, n) VALUES (?, ?, ?)", {2, "a", 2});
  CHECK(dup.code() == StatusCode::kConflict);
  CHECK_MESSAGE(violates(dup, ConstraintKind::kUnique, "c_code_key"), dup.to_string());
  Status pk = try_exec(h.db(), "INSERT INTO c (id, code, n) VALUES (?, ?, ?)", {1, "z", 2});
  CHECK(pk.code() == StatusCode::kConflict);
  CHECK_MESSAGE(violates(pk, ConstraintKind::kPrimaryKey, "c_pkey"), pk.to_string());
  Status check = try_exec(h.db(), "INSERT INTO c (id, code, n) VALUES (?, ?, ?)", {3, "b", -1});
  CHECK(check.code() == StatusCode::kInvalidArgument);
  CHECK_MESSAGE(violates(check, ConstraintKind::kCheck, "n_positive"), check.to_string());
  Status notnull = try_exec(h.db(), "INSERT INTO c (id, code, n) VALUES (?, ?, ?)", {4, nullptr, 1});
  CHECK(notnull.code() == StatusCode::kInvalidArgument);
  CHECK_MESSAGE(violates(notnull, ConstraintKind::kNotNull, "c.code"), notnull.to_string());
  Status fk = try_exec(h.db(), "INSERT INTO c (id, code, n, p) VALUES (?, ?, ?, ?)", {5, "d", 1, 99});
  CHECK(fk.code() == StatusCode::kInvalidArgument);
  CHECK_MESSAGE(violates(fk, ConstraintKind::kForeignKey, "c_p_fkey"), fk.to_string());
  const DbError *e = db_error(dup);
  REQUIRE(e != nullptr);
  CHECK(e->sqlstate == "23505");
  CHECK(e->table == "c");
  CHECK(db_error(try_exec(h.db(), "INSERT INTO nope VALUES (1)")) == nullptr);
}

inline void savepoints_roll_back_their_part(DbHarness &h) {
  exec(h.db(), "CREATE TABLE t (x INTEGER CONSTRAINT t_small CHECK (x < 100))");
  auto tx = h.db().begin();
  REQUIRE(tx.ok());
  REQUIRE(tx->execute("INSERT INTO t (x) VALUES (1)").ok());
  {
    auto sp = tx->savepoint();
    REQUIRE(sp.ok());
    REQUIRE(tx->execute("INSERT INTO t (x) VALUES (2)").ok());
  }  // not released: rolled back
  {
    auto sp = tx->savepoint();
    REQUIRE(sp.ok());
    REQUIRE(tx->execute("INSERT INTO t (x) VALUES (3)").ok());
    REQUIRE(sp->release().ok());
  }
  {
    // A failed statement inside a savepoint: rolling the savepoint back recovers the transaction.
    auto sp = tx->savepoint();
    REQUIRE(sp.ok());
    CHECK(tx->execute("INSERT INTO t (x) VALUES (500)").status().code() == StatusCode::kInvalidArgument);
    REQUIRE(sp->rollback().ok());
  }
  REQUIRE(tx->execute("INSERT INTO t (x) VALUES (5)").ok());
  REQUIRE(tx->commit().ok());
  CHECK(scalar(h.db(), "SELECT count(*) AS n FROM t") == 3);
  CHECK(scalar(h.db(), "SELECT sum(x) AS s FROM t") == 9);  // 1 + 3 + 5
}

inline void finished_transaction_refuses_use(DbHarness &h) {
  const uint64_t commits = counter(h, "voxline_storage_commits_total");
  auto tx = h.db().begin();
  REQUIRE(tx.ok());
  REQUIRE(tx->commit().ok());
  CHECK(tx->execute("SELECT 1").status().code() == StatusCode::kFailedPrecondition);
  CHECK(tx->commit().code() == StatusCode::kFailedPrecondition);
  CHECK(counter(h, "voxline_storage_commits_total") == commits + 1);
}

inline void pool_wait_is_bounded(DbHarness &h) {
  MetricsRegistry m;
  auto one = h.open_another(1, m);
  auto first = one->begin();
  REQUIRE(first.ok());
  const auto t0 = std::chrono::steady_clock::now();
  auto second = one->begin(TxMode::kRead, Deadline::after(std::chrono::milliseconds(50)));
  const auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kTimeout);
  CHECK(second.status().message().find("no database connection free") != std::string::npos);
  CHECK(waited < std::chrono::milliseconds(1000));
  REQUIRE(first->commit().ok());
  CHECK(one->begin(TxMode::kRead, Deadline::after(std::chrono::milliseconds(500))).ok());
  CHECK(one->connections_open() == 1);
}

inline void statement_past_deadline_times_out(DbHarness &h) {
  MetricsRegistry m;
  auto one = h.open_another(1, m);  // one connection: the one that timed out must be usable
  const auto t0 = std::chrono::steady_clock::now();
  {
    auto tx = one->begin(TxMode::kRead, Deadline::after(std::chrono::milliseconds(200)));
    REQUIRE(tx.ok());
    auto r = tx->query(h.slow_query());
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(r.status().code() == StatusCode::kTimeout, r.status().to_string());
    CHECK(tx->rollback().ok());
  }
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  CHECK(scalar(*one, "SELECT 1 AS one") == 1);
  CHECK(one->connections_open() == 1);
}

inline void statement_cache_serves_repeats(DbHarness &h) {
  exec(h.db(), "CREATE TABLE t (x INTEGER)");
  const uint64_t hits = counter(h, "voxline_storage_stmt_cache_hits_total");
  for (int i = 0; i < 5; ++i) exec(h.db(), "INSERT INTO t (x) VALUES (?)", {i});
  CHECK(counter(h, "voxline_storage_stmt_cache_hits_total") >= hits + 4);
  CHECK(counter(h, "voxline_storage_stmt_cache_misses_total") >= 1);
  CHECK(scalar(h.db(), "SELECT sum(x) AS s FROM t") == 10);
}

inline void transact_commits_or_rolls_back(DbHarness &h) {
  exec(h.db(), "CREATE TABLE t (x INTEGER)");
  CHECK(h.db()
            .transact([](Transaction &tx) { return tx.execute("INSERT INTO t (x) VALUES (1)").status(); })
            .ok());
  Status s = h.db().transact([](Transaction &tx) {
    VOXLINE_RETURN_IF_ERROR(tx.execute("INSERT INTO t (x) VALUES (2)").status());
    return conflict("changed my mind");
  });
  CHECK(s.code() == StatusCode::kConflict);
  CHECK(scalar(h.db(), "SELECT count(*) AS n FROM t") == 1);
}

inline void values_round_trip(DbHarness &h) {
  exec(h.db(), "CREATE TABLE v (id " + h.generated_id() + ", i BIGINT, r DOUBLE PRECISION, s TEXT, b " +
                   h.blob_type() + ")");
  const SqlBlob blob{{0, 1, 2, 0, 255, '\\', '\''}};
  const std::string utf8 = "Zoë — 東京 🚗";
  auto tx = h.db().begin();
  REQUIRE(tx.ok());
  auto id = tx->query_row("INSERT INTO v (i, r, s, b) VALUES (?, ?, ?, ?) RETURNING id",
                          {INT64_MAX, 0.1, utf8, blob});
  REQUIRE_MESSAGE(id.ok(), id.status().to_string());
  REQUIRE(id->has_value());
  const int64_t first = (*id)->get_int64("id").value();
  REQUIRE(
      tx->execute("INSERT INTO v (i, r, s, b) VALUES (?, ?, ?, ?)", {INT64_MIN, -1e300, "", SqlBlob{}}).ok());
  REQUIRE(tx->execute("INSERT INTO v (i, r, s, b) VALUES (?, ?, ?, ?)", {nullptr, nullptr, nullptr, nullptr})
              .ok());
  REQUIRE(tx->commit().ok());
  auto rd = h.db().begin(TxMode::kRead);
  REQUIRE(rd.ok());
  auto rows = rd->query("SELECT id, i, r, s, b FROM v ORDER BY id");
  REQUIRE_MESSAGE(rows.ok(), rows.status().to_string());
  REQUIRE(rows->size() == 3);
  const Row &a = (*rows)[0];
  CHECK(a.get_int64("id").value() == first);
  CHECK(a.get_int64("i").value() == INT64_MAX);
  CHECK(a.get_double("r").value() == 0.1);
  CHECK(a.get_string("s").value() == utf8);
  CHECK(a.get_blob("b").value() == blob);
  const Row &b = (*rows)[1];
  CHECK(b.get_int64("i").value() == INT64_MIN);
  CHECK(b.get_double("r").value() == -1e300);
  CHECK(b.get_string("s").value().empty());
  CHECK(b.get_blob("b").value().bytes.empty());
  const Row &c = (*rows)[2];
  for (const char *col : {"i", "r", "s", "b"}) CHECK(c.get(col).value().is_null());
  CHECK((*rows)[1].get_int64("id").value() > first);
}

inline void concurrent_writers_lose_no_update(DbHarness &h) {
  exec(h.db(), "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
  exec(h.db(), "INSERT INTO counter (id, n) VALUES (1, 0)");
  constexpr int kThreads = 6;
  constexpr int kEach = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        Status s = h.db().transact(
            [](Transaction &tx) { return tx.execute("UPDATE counter SET n = n + 1 WHERE id = 1").status(); });
        if (!s.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto &t : threads) t.join();
  CHECK(failures.load() == 0);
  CHECK(scalar(h.db(), "SELECT n FROM counter WHERE id = 1") == kThreads * kEach);
}

inline void read_transaction_is_one_snapshot(DbHarness &h) {
  exec(h.db(), "CREATE TABLE t (x INTEGER)");
  MetricsRegistry m;
  auto other = h.open_another(2, m);
  auto reader = h.db().begin(TxMode::kRead);
  REQUIRE(reader.ok());
  CHECK(reader->query_row("SELECT count(*) AS n FROM t").value()->get_int64("n").value() == 0);
  exec(*other, "INSERT INTO t (x) VALUES (1)");  // committed by another pool meanwhile
  CHECK(reader->query_row("SELECT count(*) AS n FROM t").value()->get_int64("n").value() == 0);
  REQUIRE(reader->commit().ok());
  CHECK(scalar(h.db(), "SELECT count(*) AS n FROM t") == 1);
}

inline void migrations_are_idempotent_and_atomic(DbHarness &h) {
  std::vector<Migration> ms = {{1, "one", {"CREATE TABLE a (x INTEGER)"}},
                               {2, "two", {"CREATE TABLE b (x INTEGER)", "CREATE TABLE a (x INTEGER)"}}};
  Status s = h.db().migrate(ms);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("migration 2 'two'") != std::string::npos);
  CHECK(h.db().schema_version().value() == 0);  // one transaction: even v1 is undone
  CHECK_FALSE(try_exec(h.db(), "INSERT INTO a (x) VALUES (1)").ok());
  ms.pop_back();
  REQUIRE(h.db().migrate(ms).ok());
  REQUIRE(h.db().migrate(ms).ok());  // again: a no-op
  CHECK(h.db().schema_version().value() == 1);
  exec(h.db(), "INSERT INTO a (x) VALUES (1)");
  CHECK_FALSE(try_exec(h.db(), "INSERT INTO b (x) VALUES (1)").ok());
  ms.push_back({2, "two", {"CREATE TABLE b (x INTEGER)"}});
  REQUIRE(h.db().migrate(ms).ok());
  CHECK(h.db().schema_version().value() == 2);
  // A build that knows only version 1 refuses the newer store, naming both versions.
  ms.pop_back();
  Status newer = h.db().migrate(ms);
  CHECK(newer.code() == StatusCode::kFailedPrecondition);
  CHECK(newer.message().find("schema version 2") != std::string::npos);
  CHECK(newer.message().find("version 1 that this build") != std::string::npos);
  CHECK(h.db().migrate({}).code() == StatusCode::kInvalidArgument);
  CHECK(h.db().migrate({{2, "gap", {"SELECT 1"}}}).code() == StatusCode::kInvalidArgument);
}

inline void health_check_is_ok(DbHarness &h) {
  HealthRegistry health;
  add_health_check(health, h.db());
  const HealthReport r = health.run();
  REQUIRE(r.checks().size() == 1);
  CHECK(r.checks()[0].component == std::string("storage.") + dialect_name(h.db().dialect()));
  CHECK_MESSAGE(r.ok(), r.to_text());
  CHECK(r.checks()[0].detail.find("schema version 0") != std::string::npos);
}

}  // namespace db_contract

// The contract case list: X(function, "name").
#define VOXLINE_DATABASE_CONTRACT_CASES(X)                                                                   \
  X(uncommitted_rolls_back, "a transaction that is not committed rolls back when it goes out of scope")      \
  X(committed_survives_reopen, "a committed transaction is visible after reopening")                         \
  X(values_are_bound, "values are bound, never spliced: an injection attempt is stored verbatim")            \
  X(one_statement_and_parameter_count, "more than one statement per call and a wrong parameter count fail")  \
  X(constraint_violations_name_the_constraint, "constraint violations map to codes and name the constraint") \
  X(savepoints_roll_back_their_part,                                                                         \
    "a savepoint rolls back only its writes, also after a failed statement")                                 \
  X(finished_transaction_refuses_use, "a finished transaction refuses further use with FAILED_PRECONDITION") \
  X(pool_wait_is_bounded, "begin waits for a pooled connection only until its deadline")                     \
  X(statement_past_deadline_times_out,                                                                       \
    "a statement past its deadline is TIMEOUT and the connection is usable")                                 \
  X(statement_cache_serves_repeats, "repeated statements are served from the prepared statement cache")      \
  X(transact_commits_or_rolls_back, "transact commits on OK and rolls back on error")                        \
  X(values_round_trip, "integers, reals, UTF-8 text, blobs and NULL round trip exactly")                     \
  X(concurrent_writers_lose_no_update, "concurrent writers from many threads lose no update")                \
  X(read_transaction_is_one_snapshot, "a read transaction sees one snapshot")                                \
  X(migrations_are_idempotent_and_atomic,                                                                    \
    "migrations are atomic, idempotent, gap-free and refuse newer stores")                                   \
  X(health_check_is_ok, "the health check of a sound store is ok and names the schema version")

}  // namespace voxline::testing
