// File: database.hpp
// Database: the SQL interface business code (repositories, tools) is written against. A backend
// (SQLite now, PostgreSQL later) supplies connections; this class owns the bounded connection
// pool, RAII transactions and savepoints, migrations and the metrics every backend reports.
//
// Portable SQL subset (what repositories may write, so a PostgreSQL backend needs no caller
// change): positional `?` placeholders only (a PostgreSQL backend rewrites them to $1..$n);
// values only through bound parameters, never spliced into the text; one statement per call;
// INTEGER/REAL/TEXT/BLOB values (booleans as 0/1); times as INTEGER Unix milliseconds in UTC;
// `INSERT ... ON CONFLICT (cols) DO UPDATE SET c = excluded.c` for upserts; `RETURNING` for
// generated ids; no backend functions (no datetime(), no json_*(), no GLOB) in repository SQL.
// DDL differs per backend and lives in the migrations each schema provides per Dialect.
// After a statement fails, only rolling back is portable (PostgreSQL refuses further statements
// in that transaction): wrap a step that may fail and be recovered from in a Savepoint.
//
//   SqliteOptions options;
//   options.path = file;
//   VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, open_sqlite_database(options));
//   VOXLINE_ASSIGN_OR_RETURN(Transaction tx, db->begin());
//   VOXLINE_ASSIGN_OR_RETURN(Rows ids, tx.query("INSERT INTO t(x) VALUES (?) RETURNING id", {42}));
//   VOXLINE_RETURN_IF_ERROR(tx.commit());      // without commit(), ~Transaction rolls back
//
// Errors: constraint violations are CONFLICT (UNIQUE, overlap rules) or INVALID_ARGUMENT (CHECK,
// NOT NULL, FOREIGN KEY) and carry a DbError naming the constraint (db_error.hpp: switch on it,
// never on the message text); a lock held past busy_timeout or a statement
// past its deadline is TIMEOUT; an unreachable or full store is UNAVAILABLE.
// Lifetime: a Database must outlive every Transaction it handed out.
// Thread-safety: Database methods may be called from any thread; a Transaction (and the
// connection it holds) is used by one thread at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/core/deadline.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/health.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/thread_annotations.hpp"
#include "voxline/storage/sql_value.hpp"

namespace voxline {

enum class Dialect { kSqlite, kPostgres };
VOXLINE_API const char *dialect_name(Dialect d) noexcept;

// kWrite takes the write lock up front (SQLite BEGIN IMMEDIATE), so two writers never deadlock
// upgrading a read lock; kRead is a snapshot for reads only (a write in it may fail with TIMEOUT
// when another writer got there first).
enum class TxMode { kRead, kWrite };

// Counters every backend reports into (names carry the backend label).
struct DatabaseMetrics {
  Counter *commits = nullptr;
  Counter *rollbacks = nullptr;
  Counter *busy_retries = nullptr;     // lock waits retried inside busy_timeout
  Counter *stmt_cache_hits = nullptr;  // statements reused from a connection's cache
  Counter *stmt_cache_misses = nullptr;
  Counter *errors = nullptr;          // statements that failed
  Histogram *pool_wait_ms = nullptr;  // time to get a connection from the pool
  static DatabaseMetrics create(MetricsRegistry &registry, std::string_view backend);
};

// One backend connection. Backends implement it; only the pool, Transaction and the backend's
// own migration code call it. Used by one thread at a time.
class VOXLINE_API Connection {
 public:
  virtual ~Connection();
  // Runs one statement with bound parameters; returns its rows (empty for DML without RETURNING).
  virtual Result<Rows> query(std::string_view sql, const SqlParams &params, const Deadline &deadline) = 0;
  // Runs one statement; returns the number of rows it changed.
  virtual Result<int64_t> execute(std::string_view sql, const SqlParams &params,
                                  const Deadline &deadline) = 0;
  virtual Status begin(TxMode mode, const Deadline &deadline) = 0;
  virtual Status commit(const Deadline &deadline) = 0;
  // Ends any open transaction; OK when none is open.
  virtual Status rollback() = 0;
  // False when the connection is unusable (it is then closed instead of reused).
  virtual bool healthy() const noexcept = 0;
};

class Database;
class Transaction;

// RAII savepoint inside a Transaction: rolls back to where it started unless release()d, so a
// multi-row write inside a caller's transaction never leaves part of its rows behind. It keeps a
// pointer to its Transaction: keep it in a scope inside the transaction's, and do not move the
// Transaction while a Savepoint is alive.
class VOXLINE_API Savepoint {
 public:
  Savepoint(Savepoint &&other) noexcept;
  Savepoint &operator=(Savepoint &&) = delete;
  Savepoint(const Savepoint &) = delete;
  ~Savepoint();
  // Keeps the writes made since the savepoint (they commit with the enclosing transaction).
  Status release();
  // Undoes the writes made since the savepoint.
  Status rollback();

 private:
  friend class Transaction;
  Savepoint(Transaction *tx, std::string name) : tx_(tx), name_(std::move(name)) {}
  Transaction *tx_;
  std::string name_;
};

class VOXLINE_API Transaction {
 public:
  Transaction(Transaction &&other) noexcept;
  Transaction &operator=(Transaction &&) = delete;
  Transaction(const Transaction &) = delete;
  // Rolls back unless commit() succeeded, then returns the connection to the pool.
  ~Transaction();

  Result<Rows> query(std::string_view sql, const SqlParams &params = {});
  // First row, or std::nullopt when the statement returned none.
  Result<std::optional<Row>> query_row(std::string_view sql, const SqlParams &params = {});
  Result<int64_t> execute(std::string_view sql, const SqlParams &params = {});
  Result<Savepoint> savepoint();
  Status commit();
  Status rollback();
  bool active() const noexcept { return state_ == State::kActive; }
  TxMode mode() const noexcept { return mode_; }
  const Deadline &deadline() const noexcept { return deadline_; }
  Dialect dialect() const noexcept;

 private:
  friend class Database;
  friend class Savepoint;
  enum class State { kActive, kCommitted, kRolledBack, kMoved };
  Transaction(Database *db, std::unique_ptr<Connection> conn, TxMode mode, Deadline deadline);
  Status check_active() const;
  void finish(bool committed);

  Database *db_;
  std::unique_ptr<Connection> conn_;
  TxMode mode_;
  Deadline deadline_;
  State state_ = State::kActive;
  int next_savepoint_ = 0;
};

// A versioned schema step: `statements` run in order, each one statement, all in one transaction.
struct Migration {
  int version = 0;  // 1, 2, 3, ... with no gaps
  std::string name;
  std::vector<std::string> statements;
};

struct DatabaseOptions {
  size_t pool_size = defaults::kDatabasePoolSize;         // connections at most; callers beyond wait
  Duration default_timeout = defaults::kDatabaseTimeout;  // deadline of begin() without one
  MetricsRegistry *metrics = nullptr;                     // nullptr: MetricsRegistry::global()
};

class VOXLINE_API Database {
 public:
  virtual ~Database();
  Database(const Database &) = delete;
  Database &operator=(const Database &) = delete;

  virtual Dialect dialect() const noexcept = 0;

  // Takes a pooled connection (waiting until `deadline` for one: TIMEOUT otherwise) and begins.
  Result<Transaction> begin(TxMode mode, const Deadline &deadline);
  Result<Transaction> begin(TxMode mode = TxMode::kWrite);
  // Runs `body` in a transaction: commits when it returns OK, rolls back otherwise.
  Status transact(const std::function<Status(Transaction &)> &body, TxMode mode = TxMode::kWrite);

  // Brings the schema to the last migration's version; idempotent. A store whose version is
  // newer than the last migration is refused with FAILED_PRECONDITION naming both versions.
  virtual Status migrate(const std::vector<Migration> &migrations) = 0;
  virtual Result<int> schema_version() = 0;
  // Probes the store within `deadline` (SQLite: the file is still the one opened, then PRAGMA
  // integrity_check) for a HealthReport; a failing check names the problem in its detail.
  virtual HealthCheck health_check(const Deadline &deadline) = 0;
  HealthCheck health_check() { return health_check(Deadline::after(defaults::kDatabaseHealthTimeout)); }

  const DatabaseOptions &options() const noexcept { return options_; }
  const DatabaseMetrics &metrics() const noexcept { return metrics_; }
  // Connections currently lent out / created.
  size_t connections_in_use() const;
  size_t connections_open() const;

 protected:
  Database(DatabaseOptions options, std::string_view backend);
  // Opens one more backend connection for the pool.
  virtual Result<std::unique_ptr<Connection>> open_connection() = 0;
  // Borrow / return a connection directly (backends use these for migrations and health).
  Result<std::unique_ptr<Connection>> acquire(const Deadline &deadline);
  void release(std::unique_ptr<Connection> conn);

 private:
  friend class Transaction;
  DatabaseOptions options_;
  DatabaseMetrics metrics_;
  mutable Mutex mu_;
  std::condition_variable_any cv_;
  std::vector<std::unique_ptr<Connection>> idle_ VOXLINE_GUARDED_BY(mu_);
  size_t open_ VOXLINE_GUARDED_BY(mu_) = 0;
  size_t in_use_ VOXLINE_GUARDED_BY(mu_) = 0;
};

// Registers `db`'s health_check() with `registry` as "storage.<backend>" ("storage.sqlite").
// `db` must outlive the registration (HealthRegistry::remove() it first).
VOXLINE_API void add_health_check(HealthRegistry &registry, Database &db,
                                  Duration timeout = defaults::kDatabaseHealthTimeout);

}  // namespace voxline
