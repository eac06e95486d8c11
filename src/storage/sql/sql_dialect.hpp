// SqlDialect (internal): every piece of SQL that differs between SQLite and PostgreSQL, in one
// table per dialect. The service-desk schema (schema.cpp) is written once with these pieces
// filled in, so both backends get the same tables, columns, constraint names and cascades;
// repository SQL is the portable subset of database.hpp and needs no entry here.
// Thread-safety: the tables are immutable statics.
#pragma once

#include <string>
#include <vector>

#include "voxline/storage/database.hpp"

namespace voxline::detail {

struct SqlDialect {
  Dialect dialect;
  // Column types.
  const char *id_column;   // a primary key the store generates on INSERT
  const char *ref_type;    // a column referencing such an id
  const char *int64_type;  // a count or duration that may pass 2^31 (SQLite INTEGER is 64-bit)
  const char *time_type;   // an instant (the driver reads and writes it as Unix ms)
  // The longest appointment, as the difference of two time_type values.
  const char *max_appointment_span;
  // Appended to text key columns so ORDER BY sorts by byte, as SQLite's default BINARY does.
  const char *binary_collation;
  // CHECK expressions the two dialects spell differently (SQLite GLOB, PostgreSQL regex).
  const char *phone_e164;        // over `phone`: '+', a digit 1-9, 7..14 more digits
  const char *email_shape;       // over `email`: x@y.z within 6..254 characters, no space
  const char *vin_format;        // over `vin`: 17 of 0-9 A-H J-N P R-Z
  const char *service_code;      // over `code`: [a-z][a-z0-9_]{0,39}
  const char *appointment_code;  // over `service`: [a-z0-9_]{1,40}
  const char *json_valid;        // over `transcript_json`
  // Statements run before the tables (extensions, helper functions).
  std::vector<std::string> prelude;
  // After appointments: no two live appointments of one bay overlap (SQLite: partial unique index
  // + triggers under the single writer lock; PostgreSQL: an exclusion constraint, safe across
  // concurrent transactions). The rule is named appointments_no_overlap in both.
  std::vector<std::string> no_overlap;
  // After appointments: an appointment's vehicle belongs to its customer (a trigger that RAISEs
  // 'appointments_vehicle_owner: ...').
  std::vector<std::string> vehicle_owner;
};

const SqlDialect &sql_dialect(Dialect dialect) noexcept;

}  // namespace voxline::detail
