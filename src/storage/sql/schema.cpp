// The service-desk schema. CHECK constraints repeat what validators.hpp enforces where SQL can
// say it (length, character set, enums); the VIN check digit and NANP rules live only in the
// validators. Every rule has a name (CHECK constraints, UNIQUE indexes, the "<code>: " a trigger
// RAISEs), and a violation reports it as DbError::constraint (db_error.hpp).
#include "voxline/storage/schema.hpp"

#include <fmt/format.h>

namespace voxline {
namespace {

std::vector<Migration> sqlite_migrations() {
  Migration v1;
  v1.version = 1;
  v1.name = "service desk: customers, vehicles, appointments, shop configuration, call logs";
  v1.statements = {
      R"sql(CREATE TABLE customers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL CONSTRAINT customers_name_length CHECK (length(trim(name)) BETWEEN 1 AND 200),
        phone TEXT NOT NULL CONSTRAINT customers_phone_e164 CHECK (length(phone) BETWEEN 9 AND 16 AND phone GLOB '+[1-9]*'
                                                 AND substr(phone, 2) NOT GLOB '*[^0-9]*'),
        email TEXT CONSTRAINT customers_email_shape CHECK (email IS NULL OR (length(email) BETWEEN 6 AND 254
                                                 AND email GLOB '?*@?*.?*' AND email NOT GLOB '*[ ]*')),
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
      ))sql",
      // UNIQUE rules are named indexes, not inline UNIQUE (whose SQLite autoindex has no schema
      // name), so a violation reports the rule's name. Customer by phone is served by it too.
      "CREATE UNIQUE INDEX customers_phone_unique ON customers(phone)",
      R"sql(CREATE TABLE vehicles (
        id INTEGER PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        vin TEXT NOT NULL CONSTRAINT vehicles_vin_format CHECK (length(vin) = 17 AND vin NOT GLOB '*[^0-9A-HJ-NPR-Z]*'),
        year INTEGER NOT NULL CONSTRAINT vehicles_year_range CHECK (year BETWEEN 1981 AND 2100),
        make TEXT NOT NULL CONSTRAINT vehicles_make_length CHECK (length(trim(make)) BETWEEN 1 AND 60),
        model TEXT NOT NULL CONSTRAINT vehicles_model_length CHECK (length(trim(model)) BETWEEN 1 AND 60),
        created_at_ms INTEGER NOT NULL
      ))sql",
      "CREATE UNIQUE INDEX vehicles_vin_unique ON vehicles(vin)",
      "CREATE INDEX vehicles_customer_idx ON vehicles(customer_id)",
      R"sql(CREATE TABLE shop_settings (
        id INTEGER PRIMARY KEY CONSTRAINT shop_settings_single_row CHECK (id = 1),
        name TEXT NOT NULL CONSTRAINT shop_settings_name_length CHECK (length(trim(name)) BETWEEN 1 AND 200),
        bays INTEGER NOT NULL CONSTRAINT shop_settings_bays_range CHECK (bays BETWEEN 1 AND 100),
        slot_minutes INTEGER NOT NULL CONSTRAINT shop_settings_slot_range CHECK (slot_minutes BETWEEN 5 AND 240),
        utc_offset_minutes INTEGER NOT NULL
          CONSTRAINT shop_settings_offset_range CHECK (utc_offset_minutes BETWEEN -840 AND 840),
        updated_at_ms INTEGER NOT NULL
      ))sql",
      R"sql(CREATE TABLE shop_hours (
        weekday INTEGER PRIMARY KEY CONSTRAINT shop_hours_weekday_range CHECK (weekday BETWEEN 0 AND 6),
        open_minute INTEGER NOT NULL,
        close_minute INTEGER NOT NULL,
        CONSTRAINT shop_hours_window CHECK (open_minute >= 0 AND open_minute < close_minute AND close_minute <= 1440)
      ))sql",
      R"sql(CREATE TABLE shop_services (
        code TEXT PRIMARY KEY CONSTRAINT shop_services_code_format
          CHECK (length(code) BETWEEN 1 AND 40 AND code GLOB '[a-z]*' AND code NOT GLOB '*[^a-z0-9_]*'),
        name TEXT NOT NULL CONSTRAINT shop_services_name_length CHECK (length(trim(name)) BETWEEN 1 AND 200),
        duration_minutes INTEGER NOT NULL
          CONSTRAINT shop_services_duration_range CHECK (duration_minutes BETWEEN 5 AND 1440)
      ))sql",
      // vehicle_id is optional (a first-time caller may not know the VIN yet); deleting a vehicle
      // keeps the appointment history with vehicle_id NULL. The service code is copied, not a
      // foreign key, so retiring a service never rewrites history.
      R"sql(CREATE TABLE appointments (
        id INTEGER PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        vehicle_id INTEGER REFERENCES vehicles(id) ON DELETE SET NULL,
        service TEXT NOT NULL CONSTRAINT appointments_service_format
          CHECK (length(service) BETWEEN 1 AND 40 AND service NOT GLOB '*[^a-z0-9_]*'),
        bay INTEGER NOT NULL CONSTRAINT appointments_bay_range CHECK (bay BETWEEN 1 AND 100),
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'scheduled' CONSTRAINT appointments_status_enum
          CHECK (status IN ('scheduled', 'cancelled', 'completed', 'no_show')),
        notes TEXT CONSTRAINT appointments_notes_length CHECK (notes IS NULL OR length(notes) <= 2000),
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        CONSTRAINT appointments_time_order CHECK (end_ms > start_ms AND end_ms - start_ms <= 86400000)
      ))sql",
      // One live appointment per bay and start; also the index the overlap trigger searches.
      "CREATE UNIQUE INDEX appointments_live_bay_start ON appointments(bay, start_ms) WHERE status = "
      "'scheduled'",
      "CREATE INDEX appointments_customer_idx ON appointments(customer_id, start_ms)",
      "CREATE INDEX appointments_start_idx ON appointments(start_ms)",
      "CREATE INDEX appointments_vehicle_idx ON appointments(vehicle_id)",
      // Overlap, not just identity: [start, end) intervals in one bay may not intersect. The
      // start_ms lower bound (longest appointment) keeps the index range short.
      R"sql(CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments
        WHEN NEW.status = 'scheduled'
        BEGIN
          SELECT RAISE(ABORT, 'appointments_no_overlap: bay already booked for an overlapping slot')
          WHERE EXISTS (SELECT 1 FROM appointments
                        WHERE bay = NEW.bay AND status = 'scheduled'
                          AND start_ms > NEW.start_ms - 86400000 AND start_ms < NEW.end_ms
                          AND end_ms > NEW.start_ms);
        END)sql",
      R"sql(CREATE TRIGGER appointments_no_overlap_update BEFORE UPDATE OF bay, start_ms, end_ms, status ON appointments
        WHEN NEW.status = 'scheduled'
        BEGIN
          SELECT RAISE(ABORT, 'appointments_no_overlap: bay already booked for an overlapping slot')
          WHERE EXISTS (SELECT 1 FROM appointments
                        WHERE id <> NEW.id AND bay = NEW.bay AND status = 'scheduled'
                          AND start_ms > NEW.start_ms - 86400000 AND start_ms < NEW.end_ms
                          AND end_ms > NEW.start_ms);
        END)sql",
      // The vehicle of an appointment must belong to the appointment's customer.
      R"sql(CREATE TRIGGER appointments_vehicle_owner_insert BEFORE INSERT ON appointments
        WHEN NEW.vehicle_id IS NOT NULL
        BEGIN
          SELECT RAISE(ABORT, 'appointments_vehicle_owner: vehicle belongs to another customer')
          WHERE (SELECT customer_id FROM vehicles WHERE id = NEW.vehicle_id) IS NOT NEW.customer_id;
        END)sql",
      R"sql(CREATE TRIGGER appointments_vehicle_owner_update BEFORE UPDATE OF customer_id, vehicle_id ON appointments
        WHEN NEW.vehicle_id IS NOT NULL
        BEGIN
          SELECT RAISE(ABORT, 'appointments_vehicle_owner: vehicle belongs to another customer')
          WHERE (SELECT customer_id FROM vehicles WHERE id = NEW.vehicle_id) IS NOT NEW.customer_id;
        END)sql",
      R"sql(CREATE TABLE call_logs (
        id INTEGER PRIMARY KEY,
        call_id TEXT NOT NULL CONSTRAINT call_logs_call_id_length CHECK (length(call_id) BETWEEN 1 AND 128),
        from_number TEXT NOT NULL CONSTRAINT call_logs_from_length CHECK (length(from_number) BETWEEN 1 AND 40),
        to_number TEXT NOT NULL CONSTRAINT call_logs_to_length CHECK (length(to_number) BETWEEN 1 AND 40),
        customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
        started_at_ms INTEGER NOT NULL,
        ended_at_ms INTEGER,
        duration_ms INTEGER CONSTRAINT call_logs_duration_nonnegative CHECK (duration_ms IS NULL OR duration_ms >= 0),
        outcome TEXT NOT NULL CONSTRAINT call_logs_outcome_enum
          CHECK (outcome IN ('in_progress', 'completed', 'booked', 'transferred', 'abandoned', 'failed')),
        transcript_json TEXT NOT NULL DEFAULT '[]'
          CONSTRAINT call_logs_transcript_json CHECK (json_valid(transcript_json)),
        tool_calls INTEGER NOT NULL DEFAULT 0 CONSTRAINT call_logs_tool_calls_nonnegative CHECK (tool_calls >= 0),
        prompt_tokens INTEGER NOT NULL DEFAULT 0 CONSTRAINT call_logs_prompt_tokens_nonnegative CHECK (prompt_tokens >= 0),
        completion_tokens INTEGER NOT NULL DEFAULT 0
          CONSTRAINT call_logs_completion_tokens_nonnegative CHECK (completion_tokens >= 0),
        error TEXT CONSTRAINT call_logs_error_length CHECK (error IS NULL OR length(error) <= 4000),
        CONSTRAINT call_logs_time_order CHECK (ended_at_ms IS NULL OR ended_at_ms >= started_at_ms)
      ))sql",
      "CREATE UNIQUE INDEX call_logs_call_id_unique ON call_logs(call_id)",
      "CREATE INDEX call_logs_customer_idx ON call_logs(customer_id, started_at_ms)",
      "CREATE INDEX call_logs_started_idx ON call_logs(started_at_ms)",
  };
  return {v1};
}

}  // namespace

Result<std::vector<Migration>> service_desk_migrations(Dialect dialect) {
  switch (dialect) {
    case Dialect::kSqlite: return sqlite_migrations();
    case Dialect::kPostgres: break;
  }
  return unsupported(fmt::format("no service-desk schema for the {} dialect yet", dialect_name(dialect)));
}

int service_desk_schema_version() noexcept {
  return 1;
}

Result<std::unique_ptr<Database>> open_service_desk_sqlite(const SqliteOptions &options) {
  VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, open_sqlite_database(options));
  VOXLINE_ASSIGN_OR_RETURN(std::vector<Migration> migrations, service_desk_migrations(db->dialect()));
  VOXLINE_RETURN_IF_ERROR(db->migrate(migrations));
  return db;
}

}  // namespace voxline
