// Database: the bounded connection pool, transactions, savepoints and metrics shared by backends.
#include "voxline/storage/database.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "voxline/core/log.hpp"

namespace voxline {

const char *dialect_name(Dialect d) noexcept {
  switch (d) {
    case Dialect::kSqlite: return "sqlite";
    case Dialect::kPostgres: return "postgres";
  }
  return "unknown";
}

DatabaseMetrics DatabaseMetrics::create(MetricsRegistry &r, std::string_view backend) {
  MetricLabels l{{"backend", std::string(backend)}};
  DatabaseMetrics m;
  m.commits = &r.counter("voxline_storage_commits_total", "Transactions committed", l);
  m.rollbacks = &r.counter("voxline_storage_rollbacks_total", "Transactions rolled back", l);
  m.busy_retries =
      &r.counter("voxline_storage_busy_retries_total", "Lock waits retried within busy_timeout", l);
  m.stmt_cache_hits =
      &r.counter("voxline_storage_stmt_cache_hits_total", "Prepared statements reused from the cache", l);
  m.stmt_cache_misses =
      &r.counter("voxline_storage_stmt_cache_misses_total", "Statements prepared because not cached", l);
  m.errors = &r.counter("voxline_storage_statement_errors_total", "Statements that failed", l);
  m.pool_wait_ms = &r.histogram("voxline_storage_pool_wait_ms", "Time to get a pooled connection",
                                Histogram::latency_ms_buckets(), l);
  return m;
}

Connection::~Connection() = default;

// ---- Database -------------------------------------------------------------------------------

Database::Database(DatabaseOptions options, std::string_view backend) : options_(options) {
  if (options_.pool_size == 0) options_.pool_size = 1;
  MetricsRegistry &reg = options_.metrics != nullptr ? *options_.metrics : MetricsRegistry::global();
  metrics_ = DatabaseMetrics::create(reg, backend);
}

Database::~Database() = default;

size_t Database::connections_in_use() const {
  MutexLock lock(mu_);
  return in_use_;
}

size_t Database::connections_open() const {
  MutexLock lock(mu_);
  return open_;
}

Result<std::unique_ptr<Connection>> Database::acquire(const Deadline &deadline) {
  const SteadyTime start = Clock::system().now();
  ReleasableMutexLock lock(mu_);
  while (true) {
    if (!idle_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_.back());
      idle_.pop_back();
      ++in_use_;
      metrics_.pool_wait_ms->observe(elapsed_ms(start, Clock::system().now()));
      return c;
    }
    if (open_ < options_.pool_size) {
      // Reserve the slot, then open outside the lock (opening may touch the disk or network).
      ++open_;
      ++in_use_;
      lock.unlock();
      Result<std::unique_ptr<Connection>> c = open_connection();
      if (!c.ok()) {
        lock.lock();
        --open_;
        --in_use_;
        cv_.notify_one();
        return c.status();
      }
      metrics_.pool_wait_ms->observe(elapsed_ms(start, Clock::system().now()));
      return c;
    }
    if (deadline.expired()) {
      return timeout_error(fmt::format("no database connection free within the deadline ({} of {} in use)",
                                       in_use_, options_.pool_size));
    }
    // Wake at least every 50 ms: the deadline may run on a clock the condition variable ignores.
    auto wait = std::min<Duration>(deadline.remaining(), std::chrono::milliseconds(50));
    cv_.wait_for(lock, wait);
  }
}

void Database::release(std::unique_ptr<Connection> conn) {
  MutexLock lock(mu_);
  --in_use_;
  if (conn && conn->healthy()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // a broken connection is closed (by conn's destructor) and reopened on demand
  }
  cv_.notify_one();
}

Result<Transaction> Database::begin(TxMode mode) {
  return begin(mode, Deadline::after(options_.default_timeout));
}

Result<Transaction> Database::begin(TxMode mode, const Deadline &deadline) {
  VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, acquire(deadline));
  Status s = conn->begin(mode, deadline);
  if (!s.ok()) {
    (void)conn->rollback();
    release(std::move(conn));
    return s;
  }
  return Transaction(this, std::move(conn), mode, deadline);
}

Status Database::transact(const std::function<Status(Transaction &)> &body, TxMode mode) {
  VOXLINE_ASSIGN_OR_RETURN(Transaction tx, begin(mode));
  Status s = body(tx);
  if (!s.ok()) return s;  // ~Transaction rolls back
  return tx.commit();
}

// ---- Transaction ----------------------------------------------------------------------------

Transaction::Transaction(Database *db, std::unique_ptr<Connection> conn, TxMode mode, Deadline deadline)
    : db_(db), conn_(std::move(conn)), mode_(mode), deadline_(deadline) {}

Transaction::Transaction(Transaction &&o) noexcept
    : db_(o.db_),
      conn_(std::move(o.conn_)),
      mode_(o.mode_),
      deadline_(o.deadline_),
      state_(o.state_),
      next_savepoint_(o.next_savepoint_) {
  o.state_ = State::kMoved;
}

Transaction::~Transaction() {
  if (state_ == State::kActive) (void)rollback();
}

Dialect Transaction::dialect() const noexcept {
  return db_->dialect();
}

Status Transaction::check_active() const {
  switch (state_) {
    case State::kActive: return Status::Ok();
    case State::kCommitted: return failed_precondition("transaction already committed");
    case State::kRolledBack: return failed_precondition("transaction already rolled back");
    case State::kMoved: return failed_precondition("transaction was moved from");
  }
  return internal_error("transaction in an unknown state");
}

Result<Rows> Transaction::query(std::string_view sql, const SqlParams &params) {
  VOXLINE_RETURN_IF_ERROR(check_active());
  Result<Rows> r = conn_->query(sql, params, deadline_);
  if (!r.ok()) db_->metrics_.errors->inc();
  return r;
}

Result<std::optional<Row>> Transaction::query_row(std::string_view sql, const SqlParams &params) {
  VOXLINE_ASSIGN_OR_RETURN(Rows rows, query(sql, params));
  if (rows.empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows.front()));
}

Result<int64_t> Transaction::execute(std::string_view sql, const SqlParams &params) {
  VOXLINE_RETURN_IF_ERROR(check_active());
  Result<int64_t> r = conn_->execute(sql, params, deadline_);
  if (!r.ok()) db_->metrics_.errors->inc();
  return r;
}

void Transaction::finish(bool committed) {
  state_ = committed ? State::kCommitted : State::kRolledBack;
  (committed ? db_->metrics_.commits : db_->metrics_.rollbacks)->inc();
  db_->release(std::move(conn_));
}

Status Transaction::commit() {
  VOXLINE_RETURN_IF_ERROR(check_active());
  Status s = conn_->commit(deadline_);
  if (!s.ok()) {
    // A failed COMMIT leaves nothing applied: end the transaction so the connection is clean.
    (void)conn_->rollback();
    finish(false);
    return s.with_context("commit failed, transaction rolled back");
  }
  finish(true);
  return Status::Ok();
}

Status Transaction::rollback() {
  VOXLINE_RETURN_IF_ERROR(check_active());
  Status s = conn_->rollback();
  finish(false);
  return s;
}

Result<Savepoint> Transaction::savepoint() {
  VOXLINE_RETURN_IF_ERROR(check_active());
  // The name is generated here, never taken from input, so it is safe in the statement text.
  std::string name = fmt::format("voxline_sp_{}", ++next_savepoint_);
  VOXLINE_RETURN_IF_ERROR(execute("SAVEPOINT " + name).status());
  return Savepoint(this, std::move(name));
}

// ---- Savepoint ------------------------------------------------------------------------------

Savepoint::Savepoint(Savepoint &&o) noexcept : tx_(o.tx_), name_(std::move(o.name_)) {
  o.tx_ = nullptr;
}

Savepoint::~Savepoint() {
  if (tx_ != nullptr) (void)rollback();
}

void add_health_check(HealthRegistry &registry, Database &db, Duration timeout) {
  registry.add(std::string("storage.") + dialect_name(db.dialect()), timeout,
               [&db](const Deadline &deadline) { return db.health_check(deadline); });
}

Status Savepoint::release() {
  if (tx_ == nullptr) return failed_precondition("savepoint already released or rolled back");
  Transaction *tx = tx_;
  tx_ = nullptr;
  if (!tx->active()) return failed_precondition("savepoint's transaction has ended");
  return tx->execute("RELEASE SAVEPOINT " + name_).status();
}

Status Savepoint::rollback() {
  if (tx_ == nullptr) return failed_precondition("savepoint already released or rolled back");
  Transaction *tx = tx_;
  tx_ = nullptr;
  if (!tx->active()) return Status::Ok();  // the whole transaction is gone already
  Result<int64_t> r = tx->execute("ROLLBACK TO SAVEPOINT " + name_);
  if (!r.ok()) return r.status();
  return tx->execute("RELEASE SAVEPOINT " + name_).status();
}

}  // namespace voxline
