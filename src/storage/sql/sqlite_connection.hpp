// SqliteConnection: one sqlite3 handle with its prepared-statement cache, busy handler and
// deadline-driven interrupt (internal to the SQLite backend).
#pragma once

#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <sqlite3.h>

#include "voxline/storage/database.hpp"
#include "voxline/storage/sqlite_database.hpp"

namespace voxline::detail {

class SqliteConnection final : public Connection {
 public:
  // Opens `options.path` and applies the connection pragmas.
  static Result<std::unique_ptr<SqliteConnection>> open(const SqliteOptions &options,
                                                        const DatabaseMetrics &m);
  ~SqliteConnection() override;

  Result<Rows> query(std::string_view sql, const SqlParams &params, const Deadline &deadline) override;
  Result<int64_t> execute(std::string_view sql, const SqlParams &params, const Deadline &deadline) override;
  Status begin(TxMode mode, const Deadline &deadline) override;
  Status commit(const Deadline &deadline) override;
  Status rollback() override;
  bool healthy() const noexcept override { return db_ != nullptr && !broken_; }

  sqlite3 *handle() const noexcept { return db_; }

 private:
  struct Cached {
    sqlite3_stmt *stmt = nullptr;
    std::shared_ptr<const std::vector<std::string>> columns;
    std::list<std::string>::iterator lru;
  };

  SqliteConnection(sqlite3 *db, const SqliteOptions &options, const DatabaseMetrics &m);
  Result<Cached *> prepare(std::string_view sql);
  // Binds, steps to completion, resets. Collects rows when `rows` is non-null.
  Status run(std::string_view sql, const SqlParams &params, const Deadline &deadline, Rows *rows,
             int64_t *changes);
  Status error(int rc, std::string_view what);
  // A failed step with a constraint code: the Status with its DbError completed from the schema.
  Status constraint_error(int rc, sqlite3_stmt *st, std::string_view sql);
  static int busy_callback(void *self, int count);
  static int progress_callback(void *self);

  sqlite3 *db_;
  SqliteOptions options_;
  DatabaseMetrics metrics_;
  std::unordered_map<std::string, Cached> cache_;
  std::list<std::string> lru_;          // front = most recently used
  const Deadline *deadline_ = nullptr;  // the running statement's deadline (progress handler)
  bool deadline_hit_ = false;
  SteadyTime busy_since_{};
  int busy_retries_ = 0;
  bool busy_gave_up_ = false;
  bool broken_ = false;
};

}  // namespace voxline::detail
