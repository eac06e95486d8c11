// File: schema.hpp
// The service-desk schema as migrations, per Dialect, and a helper that opens a SQLite file
// with it applied. Tables: customers, vehicles, appointments, shop_settings, shop_hours,
// shop_services, call_logs (see src/storage/sql/schema.cpp for the DDL and its reasons).
//
// Times are milliseconds since the Unix epoch, UTC, to every caller (columns end in _ms):
// INTEGER in SQLite, timestamptz in PostgreSQL (the driver reads and writes them as Unix ms).
// Double booking is impossible at the database level: in SQLite a partial unique index on
// (bay, start_ms) WHERE status = 'scheduled' plus BEFORE INSERT/UPDATE triggers that abort on any
// overlapping live slot in the same bay; a SQLite write transaction holds the database's single
// write lock, so check and insert are atomic across threads and processes. In PostgreSQL the
// exclusion constraint appointments_no_overlap, EXCLUDE USING gist (bay WITH =,
// tstzrange(start_ms, end_ms) WITH &&) WHERE status = 'scheduled' (extension btree_gist), which
// holds across concurrent transactions (CONFLICT, ConstraintKind::kExclusion).
// Both dialects share one schema text; their differences are in src/storage/sql/sql_dialect.cpp.
//
//   VOXLINE_ASSIGN_OR_RETURN(auto db, open_service_desk_sqlite(options));  // opened + migrated
//
// Thread-safety: pure functions.
#pragma once

#include <memory>
#include <vector>

#include "voxline/storage/database.hpp"
#include "voxline/storage/sqlite_database.hpp"

namespace voxline {

// Longest appointment the schema accepts; the overlap trigger scans only this far back.
inline constexpr int kMaxAppointmentMinutes = 24 * 60;

// The migrations for `dialect` (the same version numbers in every dialect).
VOXLINE_API Result<std::vector<Migration>> service_desk_migrations(Dialect dialect);
// The schema version this build creates (the last migration's).
VOXLINE_API int service_desk_schema_version() noexcept;

// Opens the SQLite file and migrates it to the service-desk schema.
VOXLINE_API Result<std::unique_ptr<Database>> open_service_desk_sqlite(const SqliteOptions &options);

}  // namespace voxline
