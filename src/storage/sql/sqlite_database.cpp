// SqliteDatabase: the Database backend over SQLite files; migrations in PRAGMA user_version and
// PRAGMA integrity_check as the health probe.
#include "voxline/storage/sqlite_database.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "storage/sql/sqlite_connection.hpp"
#include "voxline/core/log.hpp"

namespace voxline {
namespace {

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(const SqliteOptions &options)
      : Database(options.database, "sqlite"), options_(options) {}

  Dialect dialect() const noexcept override { return Dialect::kSqlite; }
  Status migrate(const std::vector<Migration> &migrations) override;
  Result<int> schema_version() override;
  using Database::health_check;
  HealthCheck health_check(const Deadline &deadline) override;

  // Remembers which file was opened, so a deleted or replaced file is noticed (SQLite keeps
  // using an unlinked file's inode, and its integrity_check stays "ok").
  Status record_file_identity() {
    struct stat st {};
    if (::stat(options_.path.c_str(), &st) != 0)
      return unavailable(fmt::format("sqlite database '{}': {}", options_.path, std::strerror(errno)));
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    return Status::Ok();
  }
  // Empty when the path still names the file that was opened; else what changed.
  std::string file_identity_problem() const {
    struct stat st {};
    if (::stat(options_.path.c_str(), &st) != 0)
      return fmt::format("{}: {} (the open connections still use the deleted file)", options_.path,
                         std::strerror(errno));
    if (st.st_dev != dev_ || st.st_ino != ino_)
      return fmt::format("{} was replaced by another file after it was opened", options_.path);
    return {};
  }

  // Borrowed connection returned to the pool on scope exit.
  struct Lease {
    SqliteDatabase *db;
    std::unique_ptr<Connection> conn;
    ~Lease() {
      if (conn) {
        (void)conn->rollback();
        db->release(std::move(conn));
      }
    }
  };
  Result<std::unique_ptr<Lease>> lease(const Deadline &deadline) {
    VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, acquire(deadline));
    return std::unique_ptr<Lease>(new Lease{this, std::move(c)});
  }

 protected:
  Result<std::unique_ptr<Connection>> open_connection() override {
    VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<detail::SqliteConnection> c,
                             detail::SqliteConnection::open(options_, metrics()));
    return std::unique_ptr<Connection>(std::move(c));
  }

 private:
  static Result<int> read_user_version(Connection &c, const Deadline &d) {
    VOXLINE_ASSIGN_OR_RETURN(Rows rows, c.query("PRAGMA user_version", {}, d));
    if (rows.empty()) return internal_error("PRAGMA user_version returned no row");
    return rows.front().get_int("user_version");
  }

  SqliteOptions options_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

Status SqliteDatabase::migrate(const std::vector<Migration> &migrations) {
  if (migrations.empty()) return invalid_argument("no migrations given");
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return invalid_argument(
          fmt::format("migration #{} ('{}') has version {}, expected {} (versions are 1..n)", i + 1,
                      migrations[i].name, migrations[i].version, i + 1));
    }
  }
  const int latest = migrations.back().version;
  // Schema changes may take a while on a big file; lock waits stay bounded by busy_timeout.
  const Deadline deadline =
      Deadline::after(std::max<Duration>(options().default_timeout, std::chrono::minutes(2)));
  VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Lease> l, lease(deadline));
  Connection &c = *l->conn;
  // BEGIN IMMEDIATE: two processes migrating at once serialise, and the second sees the result.
  VOXLINE_RETURN_IF_ERROR(c.begin(TxMode::kWrite, deadline));
  VOXLINE_ASSIGN_OR_RETURN(int current, read_user_version(c, deadline));
  if (current > latest) {
    return failed_precondition(fmt::format(
        "database {} has schema version {}, newer than version {} that this build knows; refusing to use it "
        "(upgrade voxline or restore a backup of the matching version)",
        options_.path, current, latest));
  }
  if (current == latest) return c.rollback();  // idempotent: nothing to do
  for (const Migration &m : migrations) {
    if (m.version <= current) continue;
    for (const std::string &sql : m.statements) {
      Result<int64_t> r = c.execute(sql, {}, deadline);
      if (!r.ok()) return r.status().with_context(fmt::format("migration {} '{}'", m.version, m.name));
    }
    // The version is an int from our own list, not input, so formatting it into the text is safe.
    VOXLINE_RETURN_IF_ERROR(
        c.execute(fmt::format("PRAGMA user_version = {}", m.version), {}, deadline).status());
  }
  Status s = c.commit(deadline);
  if (!s.ok()) return s.with_context("committing migrations");
  metrics().commits->inc();
  VOXLINE_LOG_INFO(default_logger(), "storage", "sqlite schema migrated from version {} to {}", current,
                   latest);
  return Status::Ok();
}

Result<int> SqliteDatabase::schema_version() {
  const Deadline deadline = Deadline::after(options().default_timeout);
  VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Lease> l, lease(deadline));
  return read_user_version(*l->conn, deadline);
}

HealthCheck SqliteDatabase::health_check(const Deadline &deadline) {
  HealthCheck check;
  check.component = "storage.sqlite";
  const SteadyTime start = Clock::system().now();
  const char *pragma = options_.quick_health_check ? "PRAGMA quick_check" : "PRAGMA integrity_check";
  auto finish = [&](bool ok, std::string detail) {
    check.ok = ok;
    check.detail = std::move(detail);
    check.latency_ms = elapsed_ms(start, Clock::system().now());
    return check;
  };
  if (std::string problem = file_identity_problem(); !problem.empty()) return finish(false, problem);
  Result<std::unique_ptr<Lease>> l = lease(deadline);
  if (!l.ok()) return finish(false, l.status().to_string());
  Result<Rows> rows = (*l)->conn->query(pragma, {}, deadline);
  if (!rows.ok()) return finish(false, rows.status().to_string());
  std::string problems;
  bool ok = false;
  for (const Row &r : *rows) {
    Result<SqlValue> v = r.get(r.column_names().empty() ? "" : r.column_names().front());
    std::string line = v.ok() && v->type() == SqlValue::Type::kText ? v->text() : "?";
    if (line == "ok" && rows->size() == 1) ok = true;
    if (problems.size() < 500) problems += (problems.empty() ? "" : "; ") + line;
  }
  Result<int> version = read_user_version(*(*l)->conn, deadline);
  std::string detail = fmt::format("{} {}: {}, schema version {}", options_.path, pragma + 7, problems,
                                   version.ok() ? std::to_string(*version) : version.status().to_string());
  return finish(ok, detail);
}

}  // namespace

SqliteOptions sqlite_options(const Config &config) {
  SqliteOptions o;
  o.path = config.sqlite_path;
  return o;
}

Result<std::unique_ptr<Database>> open_sqlite_database(const SqliteOptions &options) {
  if (options.path.empty()) return invalid_argument("sqlite database path is empty");
  if (options.path == ":memory:" || options.path.rfind("file::memory:", 0) == 0) {
    return invalid_argument("sqlite ':memory:' databases are per connection; the pool needs a file path");
  }
  auto db = std::make_unique<SqliteDatabase>(options);
  // Open one connection now so a bad path, a non-database file or a WAL failure shows up here.
  VOXLINE_ASSIGN_OR_RETURN(auto l,
                           db->lease(Deadline::after(options.busy_timeout + std::chrono::seconds(5))));
  l.reset();
  VOXLINE_RETURN_IF_ERROR(db->record_file_identity());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace voxline
