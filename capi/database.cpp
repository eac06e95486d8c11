// C ABI: voxline_database over the Database backends (SQLite file, PostgreSQL server).
#include <memory>
#include <string>
#include <string_view>

#include "buffers.hpp"
#include "capi_internal.hpp"
#include "handles.hpp"
#include "options.hpp"
#include "voxline/core/health.hpp"
#include "voxline/core/strings.hpp"
#include "voxline/storage/database_factory.hpp"
#include "voxline/storage/postgres_database.hpp"
#include "voxline/storage/sqlite_database.hpp"

struct voxline_database {
  std::unique_ptr<voxline::Database> impl;
};

namespace {

using voxline::Status;
using voxline::capi::HandleKind;

constexpr unsigned kMaxPool = 1024;

// Opens what `target` names: a plain file path, or a URL make_database understands (sqlite:,
// postgresql://, postgres://). Options that a backend does not have are ignored by it.
voxline::Result<std::unique_ptr<voxline::Database>> open_target(std::string_view target,
                                                                const voxline_database_options &o) {
  if (target.empty()) return voxline::invalid_argument("empty database path or URL");
  if (o.pool_size < 1 || o.pool_size > kMaxPool)
    return voxline::invalid_argument("pool_size " + std::to_string(o.pool_size) +
                                     " is out of range (1..1024)");
  if (o.busy_timeout_ms < 0) return voxline::invalid_argument("negative busy_timeout_ms");
  const bool is_url = target.find("://") != std::string_view::npos ||
                      voxline::to_lower_ascii(std::string(target.substr(0, 7))) == "sqlite:";
  voxline::DatabaseUrl url;
  if (is_url) {
    VOXLINE_ASSIGN_OR_RETURN(url, voxline::parse_database_url(target));
  } else {
    url.sqlite_path = std::string(target);
  }
  if (url.dialect == voxline::Dialect::kPostgres) {
    voxline::PostgresOptions p;
    p.url = url.postgres_url;
    p.database.pool_size = o.pool_size;
    return voxline::open_postgres_database(p);
  }
  voxline::SqliteOptions s;
  s.path = url.sqlite_path;
  s.busy_timeout = std::chrono::milliseconds(o.busy_timeout_ms);
  s.database.pool_size = o.pool_size;
  return voxline::open_sqlite_database(s);
}

}  // namespace

extern "C" voxline_status voxline_database_options_init(voxline_database_options *o, unsigned version) {
  return voxline::capi::guard([&]() -> Status {
    if (o == nullptr) return voxline::invalid_argument("NULL voxline_database_options");
    VOXLINE_RETURN_IF_ERROR(voxline::capi::check_options_version(version, VOXLINE_DATABASE_OPTIONS_VERSION,
                                                                 "voxline_database_options"));
    o->version = version;
    o->pool_size = static_cast<unsigned>(voxline::defaults::kDatabasePoolSize);
    o->busy_timeout_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(voxline::defaults::kSqliteBusyTimeout).count();
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_database_open(voxline_database **out, const char *url_or_path,
                                                const voxline_database_options *opts) {
  return voxline::capi::guard([&]() -> Status {
    if (out == nullptr) return voxline::invalid_argument("NULL out pointer (voxline_database **)");
    *out = nullptr;
    if (url_or_path == nullptr) return voxline::invalid_argument("NULL database path");
    voxline_database_options o;
    voxline_database_options_init(&o, VOXLINE_DATABASE_OPTIONS_VERSION);
    if (opts != nullptr) {
      VOXLINE_RETURN_IF_ERROR(voxline::capi::check_options_version(
          opts->version, VOXLINE_DATABASE_OPTIONS_VERSION, "voxline_database_options"));
      // Field by field: a caller built against an older header passes a shorter struct.
      o.pool_size = opts->pool_size;
      o.busy_timeout_ms = opts->busy_timeout_ms;
    }
    VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<voxline::Database> db, open_target(url_or_path, o));
    auto handle = std::make_shared<voxline_database>(voxline_database{std::move(db)});
    voxline::capi::add_handle(handle, HandleKind::kDatabase);
    *out = handle.get();
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_database_health_json(voxline_database *db, int64_t timeout_ms,
                                                       char **json) {
  return voxline::capi::guard([&]() -> Status {
    if (json != nullptr) *json = nullptr;
    VOXLINE_ASSIGN_OR_RETURN(const auto live, voxline::capi::use_handle(db, HandleKind::kDatabase));
    if (json == nullptr) return voxline::invalid_argument("NULL json pointer");
    voxline::Deadline deadline = voxline::Deadline::after(voxline::defaults::kDatabaseHealthTimeout);
    if (timeout_ms > 0) {
      VOXLINE_ASSIGN_OR_RETURN(deadline, voxline::capi::deadline_from_timeout(timeout_ms));
    }
    voxline::HealthReport report;
    report.add(live->impl->health_check(deadline));
    *json = voxline::capi::copy_string(report.to_json());
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_database_schema_version(voxline_database *db, int *version) {
  return voxline::capi::guard([&]() -> Status {
    if (version != nullptr) *version = 0;
    VOXLINE_ASSIGN_OR_RETURN(const auto live, voxline::capi::use_handle(db, HandleKind::kDatabase));
    if (version == nullptr) return voxline::invalid_argument("NULL version pointer");
    VOXLINE_ASSIGN_OR_RETURN(*version, live->impl->schema_version());
    return Status::Ok();
  });
}

extern "C" void voxline_database_close(voxline_database *db) {
  voxline::capi::release_handle(db, HandleKind::kDatabase);  // closes every connection
}
