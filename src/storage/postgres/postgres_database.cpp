// PostgresDatabase: the Database backend over a PostgreSQL server; migrations recorded in
// voxline_schema_migrations under an advisory lock, a round trip plus server facts as the
// health probe.
#include "voxline/storage/postgres_database.hpp"

#include <fmt/format.h>

#include "storage/postgres/pg_connection.hpp"
#include "voxline/core/log.hpp"

namespace voxline {
namespace {

// pg_advisory_xact_lock key that serialises voxline migrations ("vxmg" in ASCII).
constexpr int64_t kMigrationLock = 0x76786d67;

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(const PostgresOptions &options)
      : Database(options.database, "postgres"), options_(options) {}

  Dialect dialect() const noexcept override { return Dialect::kPostgres; }
  Status migrate(const std::vector<Migration> &migrations) override;
  Result<int> schema_version() override;
  using Database::health_check;
  HealthCheck health_check(const Deadline &deadline) override;

  // Borrowed connection returned to the pool on scope exit.
  struct Lease {
    PostgresDatabase *db;
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
    VOXLINE_ASSIGN_OR_RETURN(
        std::unique_ptr<detail::PgConnection> c,
        detail::PgConnection::open(options_, metrics(), Deadline::after(options_.connect_timeout)));
    return std::unique_ptr<Connection>(std::move(c));
  }

 private:
  static Result<int> read_version(Connection &c, const Deadline &d) {
    VOXLINE_ASSIGN_OR_RETURN(
        Rows exists,
        c.query("SELECT to_regclass('voxline_schema_migrations') IS NOT NULL AS present", {}, d));
    if (exists.empty()) return internal_error("to_regclass returned no row");
    VOXLINE_ASSIGN_OR_RETURN(int64_t present, exists.front().get_int64("present"));
    if (present == 0) return 0;
    VOXLINE_ASSIGN_OR_RETURN(
        Rows rows, c.query("SELECT coalesce(max(version), 0) AS v FROM voxline_schema_migrations", {}, d));
    if (rows.empty()) return internal_error("schema version query returned no row");
    return rows.front().get_int("v");
  }

  PostgresOptions options_;
};

Status PostgresDatabase::migrate(const std::vector<Migration> &migrations) {
  if (migrations.empty()) return invalid_argument("no migrations given");
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return invalid_argument(
          fmt::format("migration #{} ('{}') has version {}, expected {} (versions are 1..n)", i + 1,
                      migrations[i].name, migrations[i].version, i + 1));
    }
  }
  const int latest = migrations.back().version;
  const Deadline deadline =
      Deadline::after(std::max<Duration>(options().default_timeout, std::chrono::minutes(2)));
  VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Lease> l, lease(deadline));
  Connection &c = *l->conn;
  VOXLINE_RETURN_IF_ERROR(c.begin(TxMode::kWrite, deadline));
  // Two processes migrating at once: the second waits here, then sees the first's result.
  VOXLINE_RETURN_IF_ERROR(c.query("SELECT pg_advisory_xact_lock(?)", {kMigrationLock}, deadline).status());
  VOXLINE_RETURN_IF_ERROR(c.execute("CREATE TABLE IF NOT EXISTS voxline_schema_migrations ("
                                    "version integer PRIMARY KEY, name text NOT NULL, "
                                    "applied_at timestamptz NOT NULL DEFAULT now())",
                                    {}, deadline)
                              .status());
  VOXLINE_ASSIGN_OR_RETURN(int current, read_version(c, deadline));
  if (current > latest) {
    return failed_precondition(fmt::format(
        "database {} has schema version {}, newer than version {} that this build knows; refusing to use it "
        "(upgrade voxline or restore a backup of the matching version)",
        redact_postgres_url(options_.url), current, latest));
  }
  if (current == latest) return c.rollback();  // idempotent: nothing to do
  for (const Migration &m : migrations) {
    if (m.version <= current) continue;
    for (const std::string &sql : m.statements) {
      Result<int64_t> r = c.execute(sql, {}, deadline);
      if (!r.ok()) return r.status().with_context(fmt::format("migration {} '{}'", m.version, m.name));
    }
    VOXLINE_RETURN_IF_ERROR(c.execute("INSERT INTO voxline_schema_migrations (version, name) VALUES (?, ?)",
                                      {m.version, m.name}, deadline)
                                .status());
  }
  Status s = c.commit(deadline);
  if (!s.ok()) return s.with_context("committing migrations");
  metrics().commits->inc();
  VOXLINE_LOG_INFO(default_logger(), "storage", "postgres schema migrated from version {} to {}", current,
                   latest);
  return Status::Ok();
}

Result<int> PostgresDatabase::schema_version() {
  const Deadline deadline = Deadline::after(options().default_timeout);
  VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Lease> l, lease(deadline));
  VOXLINE_RETURN_IF_ERROR(l->conn->begin(TxMode::kRead, deadline));
  return read_version(*l->conn, deadline);
}

HealthCheck PostgresDatabase::health_check(const Deadline &deadline) {
  HealthCheck check;
  check.component = "storage.postgres";
  const SteadyTime start = Clock::system().now();
  auto finish = [&](bool ok, std::string detail) {
    check.ok = ok;
    check.detail = std::move(detail);
    check.latency_ms = elapsed_ms(start, Clock::system().now());
    return check;
  };
  const std::string where = redact_postgres_url(options_.url);
  Result<std::unique_ptr<Lease>> l = lease(deadline);
  if (!l.ok()) return finish(false, fmt::format("{}: {}", where, l.status().to_string()));
  Connection &c = *(*l)->conn;
  Status s = c.begin(TxMode::kRead, deadline);
  if (!s.ok()) return finish(false, fmt::format("{}: {}", where, s.to_string()));
  Result<Rows> rows = c.query(
      "SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS standby, "
      "current_database() AS db",
      {}, deadline);
  if (!rows.ok() || rows->empty())
    return finish(false, fmt::format("{}: {}", where, rows.ok() ? "no row" : rows.status().to_string()));
  const Row &r = rows->front();
  const std::string version = r.get_string("version").value_or("?");
  const bool standby = r.get_int64("standby").value_or(0) != 0;
  Result<int> schema = read_version(c, deadline);
  std::string detail =
      fmt::format("{}: server {}{}, schema version {}", where, version, standby ? " (read-only standby)" : "",
                  schema.ok() ? std::to_string(*schema) : schema.status().to_string());
  // A standby cannot take bookings: the store is reachable but not usable.
  return finish(!standby && schema.ok(), detail);
}

}  // namespace

bool is_postgres_url(std::string_view url) noexcept {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

std::string redact_postgres_url(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t auth_start = scheme + 3;
  const size_t auth_end = url.find_first_of("/?", auth_start);
  const std::string_view authority =
      url.substr(auth_start, auth_end == std::string_view::npos ? url.npos : auth_end - auth_start);
  const size_t at = authority.rfind('@');
  std::string out(url);
  if (at != std::string_view::npos) {
    const size_t colon = authority.find(':');
    if (colon != std::string_view::npos && colon < at)
      out = std::string(url.substr(0, auth_start + colon + 1)) + "***" +
            std::string(url.substr(auth_start + at));
  }
  // A password may also come as a query parameter.
  const size_t pw = out.find("password=");
  if (pw != std::string::npos && pw > 0 && (out[pw - 1] == '?' || out[pw - 1] == '&')) {
    const size_t end = out.find('&', pw);
    out = out.substr(0, pw + 9) + "***" + (end == std::string::npos ? "" : out.substr(end));
  }
  return out;
}

Result<std::unique_ptr<Database>> open_postgres_database(const PostgresOptions &options) {
  if (!is_postgres_url(options.url))
    return invalid_argument(fmt::format("'{}' is not a postgresql:// URL", redact_postgres_url(options.url)));
  auto db = std::make_unique<PostgresDatabase>(options);
  // Open one connection now so a wrong host, database or password shows up here.
  VOXLINE_ASSIGN_OR_RETURN(auto l,
                           db->lease(Deadline::after(options.connect_timeout + std::chrono::seconds(1))));
  l.reset();
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace voxline
