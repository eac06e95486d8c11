// File: sqlite_database.hpp
// The SQLite backend of Database. Every connection is set up the same way:
//   - journal_mode=WAL: readers never block the writer and a crash leaves either the whole
//     transaction or none of it;
//   - foreign_keys=ON (SQLite's default is OFF, per connection);
//   - a busy handler that retries lock waits for up to busy_timeout (counted in
//     voxline_storage_busy_retries_total), then fails with TIMEOUT naming the wait;
//   - synchronous=FULL by default: in WAL mode NORMAL already survives a process crash, but a
//     power loss or kernel panic may drop the last commits; FULL fsyncs the WAL on every commit,
//     so a booking confirmed to a caller is never lost. The cost is one fsync per commit, small
//     at a shop's booking rate (bench/storage_bench prints both). kNormal is for bulk loads.
//   - a per-connection LRU cache of prepared statements keyed by SQL text.
// Statements longer than their deadline are interrupted (progress handler) with TIMEOUT.
// Migrations are recorded in PRAGMA user_version; health_check() runs PRAGMA integrity_check.
//
//   SqliteOptions o;
//   o.path = "/var/lib/shop/voxline.db";
//   VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, open_sqlite_database(o));
//   VOXLINE_RETURN_IF_ERROR(db->migrate(service_desk_migrations(db->dialect())));
//
// Lifetime/thread-safety: as Database. Several processes may open the same file.
#pragma once

#include <memory>
#include <string>

#include "voxline/core/config.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/storage/database.hpp"

namespace voxline {

enum class SqliteSync { kNormal, kFull };

struct SqliteOptions {
  std::string path;  // file path; ":memory:" is refused (the pool needs a file)
  Duration busy_timeout = defaults::kSqliteBusyTimeout;
  SqliteSync synchronous = SqliteSync::kFull;
  size_t statement_cache_size = 64;  // prepared statements kept per connection
  bool quick_health_check = false;   // PRAGMA quick_check instead of integrity_check
  DatabaseOptions database;
};

// The Config key storage.sqlite_path as SqliteOptions (every other field at its default).
VOXLINE_API SqliteOptions sqlite_options(const Config &config);

// Opens (creating if needed) the file and checks it is a SQLite database in WAL mode.
VOXLINE_API Result<std::unique_ptr<Database>> open_sqlite_database(const SqliteOptions &options);

}  // namespace voxline
