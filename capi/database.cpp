// C ABI: voxline_database over the SQLite Database backend.
#include <memory>
#include <string>
#include <string_view>

#include "buffers.hpp"
#include "capi_internal.hpp"
#include "handles.hpp"
#include "options.hpp"
#include "voxline/core/health.hpp"
#include "voxline/storage/sqlite_database.hpp"

struct voxline_database {
  std::unique_ptr<voxline::Database> impl;
};

namespace {

using voxline::Status;
using voxline::capi::HandleKind;

constexpr unsigned kMaxPool = 1024;

// The SQLite options `url_or_path` and `opts` describe (refusing URLs this version cannot open).
voxline::Result<voxline::SqliteOptions> sqlite_options_for(std::string_view target,
                                                           const voxline_database_options &o) {
  if (target.empty()) return voxline::invalid_argument("empty database path");
  if (target.rfind("postgres://", 0) == 0 || target.rfind("postgresql://", 0) == 0)
    return voxline::unsupported(
        "PostgreSQL URLs are not supported by this version of the C API; pass a SQLite file path");
  if (const size_t scheme = target.find("://"); scheme != std::string_view::npos)
    return voxline::invalid_argument("unknown database URL scheme '" + std::string(target.substr(0, scheme)) +
                                     "://' (expected a SQLite file path)");
  if (o.pool_size < 1 || o.pool_size > kMaxPool)
    return voxline::invalid_argument("pool_size " + std::to_string(o.pool_size) +
                                     " is out of range (1..1024)");
  if (o.busy_timeout_ms < 0) return voxline::invalid_argument("negative busy_timeout_ms");
  voxline::SqliteOptions s;
  s.path = std::string(target);
  s.busy_timeout = std::chrono::milliseconds(o.busy_timeout_ms);
  s.database.pool_size = o.pool_size;
  return s;
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
    VOXLINE_ASSIGN_OR_RETURN(voxline::SqliteOptions s, sqlite_options_for(url_or_path, o));
    VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<voxline::Database> db, voxline::open_sqlite_database(s));
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
