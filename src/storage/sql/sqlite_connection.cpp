// SqliteConnection: statements through a per-connection LRU cache of prepared statements, with
// every value bound as a parameter, lock waits retried inside busy_timeout and statements
// interrupted when their deadline passes.
#include "storage/sql/sqlite_connection.hpp"

#include <algorithm>
#include <climits>
#include <thread>

#include <fmt/format.h>

#include "storage/sql/sqlite_constraints.hpp"
#include "storage/sql/sqlite_errors.hpp"

namespace voxline::detail {

namespace {

bool only_trailing_noise(std::string_view rest) {
  return std::all_of(rest.begin(), rest.end(), [](char ch) {
    return ch == ';' || ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r';
  });
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const SqliteOptions &options,
                                                                 const DatabaseMetrics &m) {
  sqlite3 *db = nullptr;
  // NOMUTEX: the pool lends a connection to one thread at a time, so SQLite's own mutex is waste.
  int rc = sqlite3_open_v2(options.path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return sqlite_status(rc, msg, "open of " + options.path);
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<SqliteConnection> c(new SqliteConnection(db, options, m));
  sqlite3_busy_handler(db, &SqliteConnection::busy_callback, c.get());
  sqlite3_progress_handler(db, 1000, &SqliteConnection::progress_callback, c.get());

  const Deadline setup = Deadline::after(options.busy_timeout + std::chrono::seconds(5));
  VOXLINE_RETURN_IF_ERROR(c->execute("PRAGMA foreign_keys = ON", {}, setup).status());
  VOXLINE_ASSIGN_OR_RETURN(Rows mode, c->query("PRAGMA journal_mode = WAL", {}, setup));
  std::string got = mode.empty() ? "" : mode.front().get_string("journal_mode").value_or("");
  if (got != "wal") {
    return failed_precondition(
        fmt::format("{} could not be put in WAL mode (journal_mode is '{}')", options.path, got));
  }
  VOXLINE_RETURN_IF_ERROR(c->execute(options.synchronous == SqliteSync::kFull ? "PRAGMA synchronous = FULL"
                                                                              : "PRAGMA synchronous = NORMAL",
                                     {}, setup)
                              .status());
  return c;
}

SqliteConnection::SqliteConnection(sqlite3 *db, const SqliteOptions &options, const DatabaseMetrics &m)
    : db_(db), options_(options), metrics_(m) {
  if (options_.statement_cache_size == 0) options_.statement_cache_size = 1;
}

SqliteConnection::~SqliteConnection() {
  for (auto &entry : cache_) sqlite3_finalize(entry.second.stmt);
  sqlite3_close_v2(db_);
}

Status SqliteConnection::error(int rc, std::string_view what) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_IOERR ||
      primary == SQLITE_NOMEM || primary == SQLITE_CANTOPEN) {
    broken_ = true;  // reopen rather than reuse a handle in an unknown state
  }
  if (primary == SQLITE_INTERRUPT && deadline_hit_) {
    return timeout_error(fmt::format("sqlite {}: statement interrupted, its deadline expired", what));
  }
  if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && busy_gave_up_) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.busy_timeout).count();
    return timeout_error(
        fmt::format("sqlite {}: database is locked by another writer; gave up after {} retries "
                    "(busy_timeout {} ms or the deadline reached)",
                    what, busy_retries_, ms));
  }
  return sqlite_status(rc, sqlite3_errmsg(db_), what);
}

Status SqliteConnection::constraint_error(int rc, sqlite3_stmt *st, std::string_view sql) {
  const std::string message = sqlite3_errmsg(db_);  // copied: the lookups below replace it
  DbError e = sqlite_db_error(rc, message);
  if (e.kind == ConstraintKind::kUnique) resolve_unique_index(db_, e);
  if (e.kind == ConstraintKind::kForeignKey && !resolve_foreign_key(db_, st, sql, e)) broken_ = true;
  return sqlite_status(rc, message, "step", std::move(e));
}

int SqliteConnection::busy_callback(void *self, int count) {
  auto *c = static_cast<SqliteConnection *>(self);
  const SteadyTime now = Clock::system().now();
  if (count == 0) c->busy_since_ = now;
  const Duration waited = now - c->busy_since_;
  if (waited >= c->options_.busy_timeout || (c->deadline_ != nullptr && c->deadline_->expired())) {
    c->busy_gave_up_ = true;
    return 0;
  }
  // Back off 1, 2, 4, 8 ms then every 10 ms: short waits for short transactions, little spinning.
  Duration pause = std::chrono::milliseconds(count < 4 ? (1 << count) : 10);
  pause = std::min(pause, c->options_.busy_timeout - waited);
  if (c->deadline_ != nullptr) pause = std::min(pause, c->deadline_->remaining());
  std::this_thread::sleep_for(pause);
  ++c->busy_retries_;
  c->metrics_.busy_retries->inc();
  return 1;
}

int SqliteConnection::progress_callback(void *self) {
  auto *c = static_cast<SqliteConnection *>(self);
  if (c->deadline_ != nullptr && c->deadline_->expired()) {
    c->deadline_hit_ = true;
    return 1;  // interrupts the statement with SQLITE_INTERRUPT
  }
  return 0;
}

Result<SqliteConnection::Cached *> SqliteConnection::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    metrics_.stmt_cache_hits->inc();
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return &it->second;
  }
  metrics_.stmt_cache_misses->inc();
  if (sql.size() > static_cast<size_t>(INT_MAX)) return invalid_argument("SQL statement text too long");
  sqlite3_stmt *stmt = nullptr;
  const char *tail = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              &tail);
  if (rc != SQLITE_OK) return error(rc, "prepare");
  if (stmt == nullptr) return invalid_argument("empty SQL statement");
  std::string_view rest = sql.substr(static_cast<size_t>(tail - sql.data()));
  if (!only_trailing_noise(rest)) {
    sqlite3_finalize(stmt);
    return invalid_argument("only one SQL statement per call is allowed; text follows the first statement");
  }
  auto names = std::make_shared<std::vector<std::string>>();
  for (int i = 0, n = sqlite3_column_count(stmt); i < n; ++i) {
    const char *name = sqlite3_column_name(stmt, i);
    names->emplace_back(name != nullptr ? name : "");
  }
  while (cache_.size() >= options_.statement_cache_size && !lru_.empty()) {
    auto victim = cache_.find(lru_.back());
    if (victim != cache_.end()) {
      sqlite3_finalize(victim->second.stmt);
      cache_.erase(victim);
    }
    lru_.pop_back();
  }
  lru_.push_front(key);
  Cached &entry = cache_[key];
  entry.stmt = stmt;
  entry.columns = std::move(names);
  entry.lru = lru_.begin();
  return &entry;
}

Status SqliteConnection::run(std::string_view sql, const SqlParams &params, const Deadline &deadline,
                             Rows *rows, int64_t *changes) {
  if (db_ == nullptr) return failed_precondition("sqlite connection is closed");
  // Set before prepare(): preparing can wait on a lock too (schema reads).
  deadline_ = &deadline;
  deadline_hit_ = false;
  busy_gave_up_ = false;
  busy_retries_ = 0;
  struct ClearDeadline {
    const Deadline *&slot;
    ~ClearDeadline() { slot = nullptr; }
  } clear_deadline{deadline_};
  VOXLINE_ASSIGN_OR_RETURN(Cached * c, prepare(sql));
  sqlite3_stmt *st = c->stmt;
  const int expected = sqlite3_bind_parameter_count(st);
  if (static_cast<size_t>(expected) != params.size()) {
    return invalid_argument(
        fmt::format("statement has {} placeholders but {} values were bound", expected, params.size()));
  }
  Status status;
  for (int i = 0; i < expected && status.ok(); ++i) {
    const SqlValue &v = params[static_cast<size_t>(i)];
    int rc = SQLITE_OK;
    // SQLITE_STATIC: `params` outlives the statement's use here (bindings are cleared below).
    switch (v.type()) {
      case SqlValue::Type::kNull: rc = sqlite3_bind_null(st, i + 1); break;
      case SqlValue::Type::kInteger: rc = sqlite3_bind_int64(st, i + 1, v.integer()); break;
      case SqlValue::Type::kReal: rc = sqlite3_bind_double(st, i + 1, v.real()); break;
      case SqlValue::Type::kText:
        rc = sqlite3_bind_text64(st, i + 1, v.text().data(), v.text().size(), SQLITE_STATIC, SQLITE_UTF8);
        break;
      case SqlValue::Type::kBlob:
        rc = v.blob().bytes.empty() ? sqlite3_bind_zeroblob(st, i + 1, 0)
                                    : sqlite3_bind_blob64(st, i + 1, v.blob().bytes.data(),
                                                          v.blob().bytes.size(), SQLITE_STATIC);
        break;
    }
    if (rc != SQLITE_OK) status = error(rc, fmt::format("bind of parameter {}", i + 1));
  }
  while (status.ok()) {
    if (deadline.expired()) {
      status = timeout_error("sqlite step: the statement's deadline expired before it finished");
      break;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      status = (rc & 0xff) == SQLITE_CONSTRAINT ? constraint_error(rc, st, sql) : error(rc, "step");
      break;
    }
    if (rows == nullptr) continue;
    const int n = sqlite3_column_count(st);
    std::vector<SqlValue> values;
    values.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER: values.emplace_back(static_cast<int64_t>(sqlite3_column_int64(st, i))); break;
        case SQLITE_FLOAT: values.emplace_back(sqlite3_column_double(st, i)); break;
        case SQLITE_TEXT: {
          const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(st, i));
          values.emplace_back(
              std::string(p != nullptr ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, i))));
          break;
        }
        case SQLITE_BLOB: {
          const auto *p = static_cast<const uint8_t *>(sqlite3_column_blob(st, i));
          SqlBlob b;
          if (p != nullptr) b.bytes.assign(p, p + sqlite3_column_bytes(st, i));
          values.emplace_back(std::move(b));
          break;
        }
        default: values.emplace_back(); break;
      }
    }
    rows->emplace_back(c->columns, std::move(values));
  }
  if (status.ok() && changes != nullptr) *changes = sqlite3_changes64(db_);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return status;
}

Result<Rows> SqliteConnection::query(std::string_view sql, const SqlParams &params,
                                     const Deadline &deadline) {
  Rows rows;
  VOXLINE_RETURN_IF_ERROR(run(sql, params, deadline, &rows, nullptr));
  return rows;
}

Result<int64_t> SqliteConnection::execute(std::string_view sql, const SqlParams &params,
                                          const Deadline &deadline) {
  int64_t changes = 0;
  VOXLINE_RETURN_IF_ERROR(run(sql, params, deadline, nullptr, &changes));
  return changes;
}

Status SqliteConnection::begin(TxMode mode, const Deadline &deadline) {
  if (sqlite3_get_autocommit(db_) == 0) return failed_precondition("a transaction is already open");
  return run(mode == TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED", {}, deadline, nullptr, nullptr);
}

Status SqliteConnection::commit(const Deadline &deadline) {
  return run("COMMIT", {}, deadline, nullptr, nullptr);
}

Status SqliteConnection::rollback() {
  if (db_ == nullptr || sqlite3_get_autocommit(db_) != 0) return Status::Ok();  // nothing open
  // Never interrupted: a rollback must finish even when the transaction's deadline is gone.
  static const Deadline kNoDeadline = Deadline::infinite();
  Status s = run("ROLLBACK", {}, kNoDeadline, nullptr, nullptr);
  if (!s.ok()) broken_ = true;
  return s;
}

}  // namespace voxline::detail
