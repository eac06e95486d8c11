// Database over SQLite files: pool, transactions, savepoints, bound parameters, error mapping,
// busy handling, deadlines, statement cache and metrics.
#include <doctest/doctest.h>

#include <fstream>

#include "support/temp_dir.hpp"
#include "voxline/storage/database.hpp"
#include "voxline/storage/sqlite_database.hpp"

using namespace voxline;

namespace {

struct Db {
  voxline::testing::TempDir dir{"voxline-db"};
  MetricsRegistry metrics;
  std::unique_ptr<Database> db;

  explicit Db(size_t pool = 4, Duration busy = std::chrono::seconds(5)) { db = open(pool, busy, &metrics); }

  std::unique_ptr<Database> open(size_t pool, Duration busy, MetricsRegistry *m) {
    REQUIRE(dir.ok());
    SqliteOptions o;
    o.path = dir.file("t.db");
    o.busy_timeout = busy;
    o.database.pool_size = pool;
    o.database.metrics = m;
    auto r = open_sqlite_database(o);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    return std::move(*r);
  }

  void exec(const std::string &sql, const SqlParams &p = {}) {
    auto tx = db->begin();
    REQUIRE(tx.ok());
    auto r = tx->execute(sql, p);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    REQUIRE(tx->commit().ok());
  }

  int64_t scalar(const std::string &sql, const SqlParams &p = {}) {
    auto tx = db->begin(TxMode::kRead);
    REQUIRE(tx.ok());
    auto row = tx->query_row(sql, p);
    REQUIRE_MESSAGE(row.ok(), row.status().to_string());
    REQUIRE(row->has_value());
    return (*row)->get_int64((*row)->column_names().front()).value();
  }

  uint64_t counter(const char *name) { return metrics.counter(name, "", {{"backend", "sqlite"}}).value(); }
};

}  // namespace

TEST_CASE("connections run in WAL mode with foreign keys on and synchronous FULL") {
  Db t;
  CHECK(t.scalar("PRAGMA foreign_keys") == 1);
  CHECK(t.scalar("PRAGMA synchronous") == 2);  // FULL
  auto tx = t.db->begin(TxMode::kRead);
  REQUIRE(tx.ok());
  CHECK(tx->query_row("PRAGMA journal_mode").value()->get_string("journal_mode").value() == "wal");
}

TEST_CASE("a transaction that is not committed rolls back when it goes out of scope") {
  Db t;
  t.exec("CREATE TABLE t (x INTEGER)");
  {
    auto tx = t.db->begin();
    REQUIRE(tx.ok());
    REQUIRE(tx->execute("INSERT INTO t (x) VALUES (?)", {1}).ok());
    REQUIRE(tx->execute("INSERT INTO t (x) VALUES (?)", {2}).ok());
  }
  CHECK(t.scalar("SELECT count(*) FROM t") == 0);
  CHECK(t.counter("voxline_storage_rollbacks_total") >= 1);
  CHECK(t.db->connections_in_use() == 0);
}

TEST_CASE("a committed transaction is visible after reopening the file") {
  Db t;
  t.exec("CREATE TABLE t (x INTEGER, s TEXT)");
  t.exec("INSERT INTO t (x, s) VALUES (?, ?)", {7, "seven"});
  t.db.reset();
  MetricsRegistry m2;
  t.db = t.open(2, std::chrono::seconds(1), &m2);
  CHECK(t.scalar("SELECT x FROM t WHERE s = ?", {"seven"}) == 7);
}

TEST_CASE("values are bound, never spliced: an injection attempt is stored verbatim") {
  Db t;
  t.exec("CREATE TABLE t (s TEXT)");
  const std::string evil = "Robert'); DROP TABLE t;--";
  t.exec("INSERT INTO t (s) VALUES (?)", {evil});
  auto tx = t.db->begin(TxMode::kRead);
  REQUIRE(tx.ok());
  auto rows = tx->query("SELECT s FROM t");
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].get_string("s").value() == evil);
}

TEST_CASE("more than one statement per call and a wrong parameter count are refused") {
  Db t;
  t.exec("CREATE TABLE t (x INTEGER)");
  auto tx = t.db->begin();
  REQUIRE(tx.ok());
  auto two = tx->execute("INSERT INTO t (x) VALUES (1); DROP TABLE t");
  REQUIRE_FALSE(two.ok());
  CHECK(two.status().code() == StatusCode::kInvalidArgument);
  CHECK(two.status().message().find("one SQL statement") != std::string::npos);
  auto count = tx->execute("INSERT INTO t (x) VALUES (?)", {1, 2});
  REQUIRE_FALSE(count.ok());
  CHECK(count.status().message().find("1 placeholders but 2 values") != std::string::npos);
  auto syntax = tx->execute("INSERT INTO nope VALUES (?)", {1});
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.status().code() == StatusCode::kInvalidArgument);
  CHECK(syntax.status().message().find("no such table") != std::string::npos);
  REQUIRE(tx->commit().ok());
  CHECK(t.scalar("SELECT count(*) FROM t") == 0);
}

TEST_CASE("constraint violations map to CONFLICT or INVALID_ARGUMENT naming the constraint") {
  Db t;
  t.exec("CREATE TABLE p (id INTEGER PRIMARY KEY)");
  t.exec(
      "CREATE TABLE c (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, n INTEGER CONSTRAINT n_positive "
      "CHECK (n > 0), p INTEGER REFERENCES p(id))");
  t.exec("INSERT INTO c (code, n) VALUES (?, ?)", {"a", 1});
  auto tx = t.db->begin();
  REQUIRE(tx.ok());
  auto dup = tx->execute("INSERT INTO c (code, n) VALUES (?, ?)", {"a", 2});
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().code() == StatusCode::kConflict);
  CHECK(dup.status().message().find("c.code") != std::string::npos);
  auto check = tx->execute("INSERT INTO c (code, n) VALUES (?, ?)", {"b", -1});
  REQUIRE_FALSE(check.ok());
  CHECK(check.status().code() == StatusCode::kInvalidArgument);
  CHECK(check.status().message().find("n_positive") != std::string::npos);
  auto notnull = tx->execute("INSERT INTO c (code, n) VALUES (?, ?)", {nullptr, 1});
  REQUIRE_FALSE(notnull.ok());
  CHECK(notnull.status().code() == StatusCode::kInvalidArgument);
  CHECK(notnull.status().message().find("c.code") != std::string::npos);
  auto fk = tx->execute("INSERT INTO c (code, n, p) VALUES (?, ?, ?)", {"d", 1, 99});
  REQUIRE_FALSE(fk.ok());
  CHECK(fk.status().code() == StatusCode::kInvalidArgument);
  CHECK(fk.status().message().find("FOREIGN KEY") != std::string::npos);
}

TEST_CASE("a savepoint rolls back only the writes made after it") {
  Db t;
  t.exec("CREATE TABLE t (x INTEGER)");
  auto tx = t.db->begin();
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
  REQUIRE(tx->commit().ok());
  CHECK(t.scalar("SELECT count(*) FROM t") == 2);
  CHECK(t.scalar("SELECT sum(x) FROM t") == 4);  // rows 1 and 3; row 2 was rolled back
}

TEST_CASE("a finished transaction refuses further use with FAILED_PRECONDITION") {
  Db t;
  auto tx = t.db->begin();
  REQUIRE(tx.ok());
  REQUIRE(tx->commit().ok());
  CHECK(tx->execute("SELECT 1").status().code() == StatusCode::kFailedPrecondition);
  CHECK(tx->commit().code() == StatusCode::kFailedPrecondition);
  CHECK(t.counter("voxline_storage_commits_total") >= 1);
}

TEST_CASE("a writer waiting past busy_timeout gets TIMEOUT and the retries are counted") {
  Db t(2, std::chrono::milliseconds(150));
  t.exec("CREATE TABLE t (x INTEGER)");
  MetricsRegistry other_metrics;
  SqliteOptions o;
  o.path = t.dir.file("t.db");
  o.busy_timeout = std::chrono::milliseconds(150);
  o.database.metrics = &other_metrics;
  auto other = open_sqlite_database(o);  // a second pool, as another process would have
  REQUIRE(other.ok());
  auto holder = t.db->begin(TxMode::kWrite);
  REQUIRE(holder.ok());
  REQUIRE(holder->execute("INSERT INTO t (x) VALUES (1)").ok());
  auto blocked = (*other)->begin(TxMode::kWrite);
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.status().code() == StatusCode::kTimeout);
  CHECK(blocked.status().message().find("locked") != std::string::npos);
  CHECK(other_metrics.counter("voxline_storage_busy_retries_total", "", {{"backend", "sqlite"}}).value() > 0);
  // Readers are not blocked by the writer in WAL mode.
  auto reader = (*other)->begin(TxMode::kRead);
  REQUIRE(reader.ok());
  CHECK(reader->query("SELECT count(*) AS n FROM t").ok());
}

TEST_CASE("begin waits for a pooled connection only until its deadline") {
  Db t(1);
  auto first = t.db->begin();
  REQUIRE(first.ok());
  auto second = t.db->begin(TxMode::kRead, Deadline::after(std::chrono::milliseconds(30)));
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == StatusCode::kTimeout);
  CHECK(second.status().message().find("no database connection free") != std::string::npos);
  REQUIRE(first->commit().ok());
  CHECK(t.db->begin(TxMode::kRead, Deadline::after(std::chrono::milliseconds(30))).ok());
}

TEST_CASE("a statement running past the transaction deadline is interrupted with TIMEOUT") {
  Db t;
  auto tx = t.db->begin(TxMode::kRead, Deadline::after(std::chrono::milliseconds(50)));
  REQUIRE(tx.ok());
  auto r =
      tx->query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kTimeout);
  CHECK(tx->rollback().ok());
  CHECK(t.scalar("SELECT 1") == 1);  // the connection is still usable
}

TEST_CASE("repeated statements are served from the prepared statement cache") {
  Db t;
  t.exec("CREATE TABLE t (x INTEGER)");
  const uint64_t hits = t.counter("voxline_storage_stmt_cache_hits_total");
  for (int i = 0; i < 5; ++i) t.exec("INSERT INTO t (x) VALUES (?)", {i});
  CHECK(t.counter("voxline_storage_stmt_cache_hits_total") >= hits + 4);
  CHECK(t.scalar("SELECT sum(x) FROM t") == 10);
}

TEST_CASE("transact commits on OK and rolls back on error") {
  Db t;
  t.exec("CREATE TABLE t (x INTEGER)");
  CHECK(t.db->transact([](Transaction &tx) { return tx.execute("INSERT INTO t (x) VALUES (1)").status(); })
            .ok());
  Status s = t.db->transact([](Transaction &tx) {
    VOXLINE_RETURN_IF_ERROR(tx.execute("INSERT INTO t (x) VALUES (2)").status());
    return conflict("changed my mind");
  });
  CHECK(s.code() == StatusCode::kConflict);
  CHECK(t.scalar("SELECT count(*) FROM t") == 1);
}

TEST_CASE("opening refuses in-memory databases and files that are not SQLite") {
  voxline::testing::TempDir dir;
  SqliteOptions o;
  o.path = ":memory:";
  CHECK(open_sqlite_database(o).status().code() == StatusCode::kInvalidArgument);
  o.path = "";
  CHECK(open_sqlite_database(o).status().code() == StatusCode::kInvalidArgument);
  o.path = dir.file("junk.db");
  {
    std::ofstream f(o.path, std::ios::binary);
    f << std::string(4096, 'x');
  }
  auto r = open_sqlite_database(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  o.path = dir.file("missing-dir/x.db");
  CHECK(open_sqlite_database(o).status().code() == StatusCode::kUnavailable);
}

TEST_CASE("health check reports integrity_check ok for a sound file") {
  Db t;
  t.exec("CREATE TABLE t (x INTEGER)");
  HealthCheck h = t.db->health_check();
  CHECK(h.ok);
  CHECK(h.component == "storage.sqlite");
  CHECK(h.detail.find("integrity_check: ok") != std::string::npos);
}

TEST_CASE("statements evicted from a small statement cache are prepared again and still run") {
  voxline::testing::TempDir dir;
  MetricsRegistry m;
  SqliteOptions o;
  o.path = dir.file("c.db");
  o.statement_cache_size = 2;
  o.database.metrics = &m;
  auto db = open_sqlite_database(o);
  REQUIRE(db.ok());
  auto tx = (*db)->begin();
  REQUIRE(tx.ok());
  REQUIRE(tx->execute("CREATE TABLE t (x INTEGER)").ok());
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 3; ++k) {
      auto r = tx->query("SELECT count(*) + ? AS n FROM t WHERE x > " + std::to_string(k), {k});
      REQUIRE(r.ok());
      CHECK((*r)[0].get_int64("n").value() == k);
    }
  }
  CHECK(m.counter("voxline_storage_stmt_cache_misses_total", "", {{"backend", "sqlite"}}).value() >= 9);
}

TEST_CASE("health check reports a corrupted file as not ok") {
  voxline::testing::TempDir dir;
  MetricsRegistry m;
  SqliteOptions o;
  o.path = dir.file("corrupt.db");
  o.database.metrics = &m;
  {
    auto db = open_sqlite_database(o);
    REQUIRE(db.ok());
    auto tx = (*db)->begin();
    REQUIRE(tx.ok());
    REQUIRE(tx->execute("CREATE TABLE t (x INTEGER PRIMARY KEY, s TEXT)").ok());
    REQUIRE(tx->execute("CREATE INDEX t_s ON t(s)").ok());
    for (int i = 0; i < 2000; ++i) {
      REQUIRE(tx->execute("INSERT INTO t (x, s) VALUES (?, ?)", {i, "row " + std::to_string(i)}).ok());
    }
    REQUIRE(tx->commit().ok());
  }  // closing the last connection checkpoints the WAL into the main file
  {
    // Scribble over the middle of the file (index and table pages), as a bad disk would.
    std::fstream f(o.path, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f.good());
    f.seekp(4096 * 5 + 100);
    const std::string junk(3000, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto db = open_sqlite_database(o);
  REQUIRE(db.ok());  // the header page is intact, so the file opens
  HealthCheck h = (*db)->health_check();
  CHECK_FALSE(h.ok);
  CHECK(h.detail.find("integrity_check: ok") == std::string::npos);
}
