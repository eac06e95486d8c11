// The service-desk schema. CHECK constraints repeat what validators.hpp enforces where SQL can
// say it (length, character set, enums); the VIN check digit and NANP rules live only in the
// validators. Every rule has a name (CHECK constraints, UNIQUE indexes, the "<code>: " a trigger
// RAISEs), and a violation reports it as DbError::constraint (db_error.hpp). The schema is
// written once; what SQLite and PostgreSQL spell differently comes from the dialect table
// (sql_dialect.cpp), so both get the same tables, constraint names and cascades.
#include "voxline/storage/schema.hpp"

#include <string_view>

#include <fmt/format.h>

#include "storage/sql/sql_dialect.hpp"

namespace voxline {
namespace {

using detail::SqlDialect;

// One statement of the schema with the dialect's pieces filled in ({id}, {time}, ...).
std::string ddl(const SqlDialect &d, std::string_view text) {
  return fmt::format(fmt::runtime(text), fmt::arg("id", d.id_column), fmt::arg("ref", d.ref_type),
                     fmt::arg("int64", d.int64_type), fmt::arg("time", d.time_type),
                     fmt::arg("max_span", d.max_appointment_span), fmt::arg("binary", d.binary_collation),
                     fmt::arg("phone_e164", d.phone_e164), fmt::arg("email_shape", d.email_shape),
                     fmt::arg("vin_format", d.vin_format), fmt::arg("service_code", d.service_code),
                     fmt::arg("appointment_code", d.appointment_code), fmt::arg("json_valid", d.json_valid));
}

std::vector<Migration> migrations_for(const SqlDialect &d) {
  Migration v1;
  v1.version = 1;
  v1.name = "service desk: customers, vehicles, appointments, shop configuration, call logs";
  std::vector<std::string> &out = v1.statements;
  out = d.prelude;
  auto add = [&](std::string_view text) { out.push_back(ddl(d, text)); };
  auto add_all = [&](const std::vector<std::string> &statements) {
    out.insert(out.end(), statements.begin(), statements.end());
  };
  add(R"sql(CREATE TABLE customers (
        id {id},
        name TEXT NOT NULL CONSTRAINT customers_name_length CHECK (length(trim(name)) BETWEEN 1 AND 200),
        phone TEXT NOT NULL CONSTRAINT customers_phone_e164 CHECK ({phone_e164}),
        email TEXT CONSTRAINT customers_email_shape CHECK (email IS NULL OR ({email_shape})),
        created_at_ms {time} NOT NULL,
        updated_at_ms {time} NOT NULL
      ))sql");
  // UNIQUE rules are named indexes, not inline UNIQUE (whose SQLite autoindex has no schema
  // name), so a violation reports the rule's name. Customer by phone is served by it too.
  add("CREATE UNIQUE INDEX customers_phone_unique ON customers(phone)");
  add(R"sql(CREATE TABLE vehicles (
        id {id},
        customer_id {ref} NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        vin TEXT NOT NULL CONSTRAINT vehicles_vin_format CHECK ({vin_format}),
        year INTEGER NOT NULL CONSTRAINT vehicles_year_range CHECK (year BETWEEN 1981 AND 2100),
        make TEXT NOT NULL CONSTRAINT vehicles_make_length CHECK (length(trim(make)) BETWEEN 1 AND 60),
        model TEXT NOT NULL CONSTRAINT vehicles_model_length CHECK (length(trim(model)) BETWEEN 1 AND 60),
        created_at_ms {time} NOT NULL
      ))sql");
  add("CREATE UNIQUE INDEX vehicles_vin_unique ON vehicles(vin)");
  add("CREATE INDEX vehicles_customer_idx ON vehicles(customer_id)");
  add(R"sql(CREATE TABLE shop_settings (
        id INTEGER PRIMARY KEY CONSTRAINT shop_settings_single_row CHECK (id = 1),
        name TEXT NOT NULL CONSTRAINT shop_settings_name_length CHECK (length(trim(name)) BETWEEN 1 AND 200),
        bays INTEGER NOT NULL CONSTRAINT shop_settings_bays_range CHECK (bays BETWEEN 1 AND 100),
        slot_minutes INTEGER NOT NULL CONSTRAINT shop_settings_slot_range CHECK (slot_minutes BETWEEN 5 AND 240),
        utc_offset_minutes INTEGER NOT NULL
          CONSTRAINT shop_settings_offset_range CHECK (utc_offset_minutes BETWEEN -840 AND 840),
        updated_at_ms {time} NOT NULL
      ))sql");
  add(R"sql(CREATE TABLE shop_hours (
        weekday INTEGER PRIMARY KEY CONSTRAINT shop_hours_weekday_range CHECK (weekday BETWEEN 0 AND 6),
        open_minute INTEGER NOT NULL,
        close_minute INTEGER NOT NULL,
        CONSTRAINT shop_hours_window CHECK (open_minute >= 0 AND open_minute < close_minute AND close_minute <= 1440)
      ))sql");
  add(R"sql(CREATE TABLE shop_services (
        code TEXT{binary} PRIMARY KEY CONSTRAINT shop_services_code_format
          CHECK ({service_code}),
        name TEXT NOT NULL CONSTRAINT shop_services_name_length CHECK (length(trim(name)) BETWEEN 1 AND 200),
        duration_minutes INTEGER NOT NULL
          CONSTRAINT shop_services_duration_range CHECK (duration_minutes BETWEEN 5 AND 1440)
      ))sql");
  // vehicle_id is optional (a first-time caller may not know the VIN yet); deleting a vehicle
  // keeps the appointment history with vehicle_id NULL. The service code is copied, not a
  // foreign key, so retiring a service never rewrites history.
  add(R"sql(CREATE TABLE appointments (
        id {id},
        customer_id {ref} NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
        vehicle_id {ref} REFERENCES vehicles(id) ON DELETE SET NULL,
        service TEXT NOT NULL CONSTRAINT appointments_service_format
          CHECK ({appointment_code}),
        bay INTEGER NOT NULL CONSTRAINT appointments_bay_range CHECK (bay BETWEEN 1 AND 100),
        start_ms {time} NOT NULL,
        end_ms {time} NOT NULL,
        status TEXT NOT NULL DEFAULT 'scheduled' CONSTRAINT appointments_status_enum
          CHECK (status IN ('scheduled', 'cancelled', 'completed', 'no_show')),
        notes TEXT CONSTRAINT appointments_notes_length CHECK (notes IS NULL OR length(notes) <= 2000),
        created_at_ms {time} NOT NULL,
        updated_at_ms {time} NOT NULL,
        CONSTRAINT appointments_time_order CHECK (end_ms > start_ms AND end_ms - start_ms <= {max_span})
      ))sql");
  add_all(d.no_overlap);
  add("CREATE INDEX appointments_customer_idx ON appointments(customer_id, start_ms)");
  add("CREATE INDEX appointments_start_idx ON appointments(start_ms)");
  add("CREATE INDEX appointments_vehicle_idx ON appointments(vehicle_id)");
  add_all(d.vehicle_owner);
  add(R"sql(CREATE TABLE call_logs (
        id {id},
        call_id TEXT NOT NULL CONSTRAINT call_logs_call_id_length CHECK (length(call_id) BETWEEN 1 AND 128),
        from_number TEXT NOT NULL CONSTRAINT call_logs_from_length CHECK (length(from_number) BETWEEN 1 AND 40),
        to_number TEXT NOT NULL CONSTRAINT call_logs_to_length CHECK (length(to_number) BETWEEN 1 AND 40),
        customer_id {ref} REFERENCES customers(id) ON DELETE SET NULL,
        started_at_ms {time} NOT NULL,
        ended_at_ms {time},
        duration_ms {int64} CONSTRAINT call_logs_duration_nonnegative CHECK (duration_ms IS NULL OR duration_ms >= 0),
        outcome TEXT NOT NULL CONSTRAINT call_logs_outcome_enum
          CHECK (outcome IN ('in_progress', 'completed', 'booked', 'transferred', 'abandoned', 'failed')),
        transcript_json TEXT NOT NULL DEFAULT '[]'
          CONSTRAINT call_logs_transcript_json CHECK ({json_valid}),
        tool_calls INTEGER NOT NULL DEFAULT 0 CONSTRAINT call_logs_tool_calls_nonnegative CHECK (tool_calls >= 0),
        prompt_tokens {int64} NOT NULL DEFAULT 0 CONSTRAINT call_logs_prompt_tokens_nonnegative CHECK (prompt_tokens >= 0),
        completion_tokens {int64} NOT NULL DEFAULT 0
          CONSTRAINT call_logs_completion_tokens_nonnegative CHECK (completion_tokens >= 0),
        error TEXT CONSTRAINT call_logs_error_length CHECK (error IS NULL OR length(error) <= 4000),
        CONSTRAINT call_logs_time_order CHECK (ended_at_ms IS NULL OR ended_at_ms >= started_at_ms)
      ))sql");
  add("CREATE UNIQUE INDEX call_logs_call_id_unique ON call_logs(call_id)");
  add("CREATE INDEX call_logs_customer_idx ON call_logs(customer_id, started_at_ms)");
  add("CREATE INDEX call_logs_started_idx ON call_logs(started_at_ms)");
  return {v1};
}

}  // namespace

Result<std::vector<Migration>> service_desk_migrations(Dialect dialect) {
  switch (dialect) {
    case Dialect::kSqlite:
    case Dialect::kPostgres: return migrations_for(detail::sql_dialect(dialect));
  }
  return unsupported(fmt::format("no service-desk schema for the {} dialect", dialect_name(dialect)));
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
