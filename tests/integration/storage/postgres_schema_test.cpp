// The service-desk schema in the PostgreSQL dialect (issue 13 item 2), on a real server: the
// migration runner applies it idempotently, times are timestamptz, every rule keeps its name, and
// the exclusion constraint refuses a double booking even between concurrent transactions.
#include <atomic>
#include <chrono>
#include <thread>

#include <doctest/doctest.h>

#include "integration/storage/pg_harness.hpp"
#include "unit/storage/storage_fixture.hpp"
#include "voxline/storage/call_log_repository.hpp"
#include "voxline/storage/db_error.hpp"

namespace voxline::testing {
namespace {

using db_contract::scalar;

// Times are parameters: an integer literal is no timestamptz.
const char *kInsertAppointment =
    "INSERT INTO appointments (customer_id, vehicle_id, service, bay, start_ms, end_ms, created_at_ms, "
    "updated_at_ms) VALUES (?, ?, 'oil_change', ?, ?, ?, ?, ?)";

// Runs one statement in its own transaction (rolled back) and returns its status.
Status try_write(Database &db, const std::string &sql, const SqlParams &params) {
  auto tx = db.begin();
  REQUIRE(tx.ok());
  return tx->execute(sql, params).status();
}

TEST_CASE("postgres schema: the migration runner applies it once, and every time column is a timestamptz") {
  if (!store_backend_available()) return;
  StorageFixture f(false);
  auto migrations = service_desk_migrations(Dialect::kPostgres);
  REQUIRE(migrations.ok());
  CHECK(f.db->schema_version().value() == service_desk_schema_version());
  CHECK(f.db->migrate(*migrations).ok());  // idempotent
  CHECK(f.db->schema_version().value() == service_desk_schema_version());
  CHECK(scalar(*f.db, "SELECT count(*) AS n FROM pg_extension WHERE extname = 'btree_gist'") == 1);
  // Every instant column (…_at_ms, start_ms, end_ms) is a timestamptz; durations stay integers.
  CHECK(scalar(*f.db,
               "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'public' "
               "AND (column_name LIKE '%at\\_ms' OR column_name IN ('start_ms', 'end_ms')) "
               "AND data_type <> 'timestamp with time zone'") == 0);
  CHECK(scalar(*f.db,
               "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'public' "
               "AND data_type = 'timestamp with time zone'") == 11);
  CHECK(scalar(*f.db,
               "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'call_logs' "
               "AND column_name = 'duration_ms' AND data_type = 'bigint'") == 1);
  // The same instant reads back as the Unix milliseconds written, through the repository.
  TwoCustomersFixture shop;
  auto tx = shop.db->begin();
  REQUIRE(tx.ok());
  auto a = shop.appointments.book(*tx, {shop.ada, shop.ada_car, "oil_change", 1, at(0, 9, 30), std::nullopt});
  REQUIRE_MESSAGE(a.ok(), a.status().to_string());
  CHECK(a->start == at(0, 9, 30));
  CHECK(a->end == at(0, 10));
  auto text = tx->query_row(
      "SELECT to_char(start_ms AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS t "
      "FROM appointments WHERE id = ?",
      {a->id});
  REQUIRE(text.ok());
  CHECK((*text)->get_string("t").value() == "2030-01-07 09:30");
}

TEST_CASE("postgres schema: an overlapping booking is CONFLICT naming the exclusion constraint") {
  if (!store_backend_available()) return;
  TwoCustomersFixture f;
  {
    auto tx = f.db->begin();
    REQUIRE(tx.ok());
    REQUIRE(f.appointments.book(*tx, {f.ada, f.ada_car, "brake_inspection", 1, at(0, 9), std::nullopt}).ok());
    REQUIRE(tx->commit().ok());
  }
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto again = f.appointments.book(*tx, {f.bob, f.bob_car, "oil_change", 1, at(0, 9, 30), std::nullopt});
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == StatusCode::kConflict);
  CHECK(again.status().message().find("bay 1") != std::string::npos);  // the repository's words
  CHECK(violates(again.status(), ConstraintKind::kExclusion, "appointments_no_overlap"));
  tx->rollback();
  // Around the repository: the server's own error, SQLSTATE 23P01.
  const int64_t s = to_unix_ms(at(0, 9, 30));
  const Status raw = try_write(*f.db, kInsertAppointment, {f.bob, f.bob_car, 1, s, s + 1800000, 0, 0});
  CHECK(raw.code() == StatusCode::kConflict);
  const DbError *e = db_error(raw);
  REQUIRE(e != nullptr);
  CHECK(e->kind == ConstraintKind::kExclusion);
  CHECK(e->constraint == "appointments_no_overlap");
  CHECK(e->table == "appointments");
  CHECK(e->sqlstate == "23P01");
  // Adjacent [start, end) slots and other bays are free.
  CHECK(try_write(*f.db, kInsertAppointment, {f.bob, f.bob_car, 1, s + 1800000, s + 3600000, 0, 0}).ok());
  CHECK(try_write(*f.db, kInsertAppointment, {f.bob, f.bob_car, 2, s, s + 1800000, 0, 0}).ok());
}

TEST_CASE(
    "postgres schema: two concurrent transactions booking one slot - the second waits, then gets CONFLICT") {
  if (!store_backend_available()) return;
  TwoCustomersFixture f;
  const int64_t s = to_unix_ms(at(1, 10));
  auto first = f.db->begin();
  REQUIRE(first.ok());
  REQUIRE(first->execute(kInsertAppointment, {f.ada, f.ada_car, 2, s, s + 1800000, 0, 0}).ok());
  // Not committed yet: a trigger reading committed rows would let the second one through.
  std::atomic<bool> done{false};
  Status second;
  std::thread racer([&] {
    auto tx = f.db->begin();
    if (!tx.ok()) {
      second = tx.status();
    } else {
      second = tx->execute(kInsertAppointment, {f.bob, f.bob_car, 2, s + 600000, s + 2400000, 0, 0}).status();
      if (second.ok()) second = tx->commit();
    }
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK_FALSE(done.load());  // blocked on the first transaction's row
  REQUIRE(first->commit().ok());
  racer.join();
  CHECK(second.code() == StatusCode::kConflict);
  CHECK(violates(second, ConstraintKind::kExclusion, "appointments_no_overlap"));
  CHECK(scalar(*f.db, "SELECT count(*) AS n FROM appointments WHERE bay = 2") == 1);
}

TEST_CASE("postgres schema: CHECK, trigger, foreign key and primary key rules carry the SQLite names") {
  if (!store_backend_available()) return;
  TwoCustomersFixture f;
  const char *vehicle =
      "INSERT INTO vehicles (customer_id, vin, year, make, model, created_at_ms) VALUES (?, ?, "
      "2020, 'Ford', 'F-150', ?)";
  CHECK(violates(try_write(*f.db, vehicle, {f.ada, "1M8GDM9AXKP0427O8", 0}), ConstraintKind::kCheck,
                 "vehicles_vin_format"));
  CHECK(violates(try_write(*f.db, vehicle, {f.ada, "1M8GDM9AXKP042788", 0}), ConstraintKind::kUnique,
                 "vehicles_vin_unique"));
  CHECK(violates(try_write(*f.db, vehicle, {int64_t{999}, "1HGCM82633A004353", 0}),
                 ConstraintKind::kForeignKey, "vehicles_customer_id_fkey"));
  const char *customer =
      "INSERT INTO customers (name, phone, email, created_at_ms, updated_at_ms) VALUES ('X', "
      "?, ?, ?, ?)";
  for (const char *phone : {"5551234567", "+0551234567", "+1555123456a", "+1234567", "+1234567890123456"})
    CHECK_MESSAGE(violates(try_write(*f.db, customer, {phone, nullptr, 0, 0}), ConstraintKind::kCheck,
                           "customers_phone_e164"),
                  phone);
  CHECK(try_write(*f.db, customer, {"+12345678", nullptr, 0, 0}).ok());         // 8 digits: the shortest
  CHECK(try_write(*f.db, customer, {"+123456789012345", nullptr, 0, 0}).ok());  // 15 digits: the longest
  for (const char *email : {"a@b", "a b@c.de", "ab@cdef", "@bc.de"})
    CHECK_MESSAGE(violates(try_write(*f.db, customer, {"+15557654321", email, 0, 0}), ConstraintKind::kCheck,
                           "customers_email_shape"),
                  email);
  CHECK(try_write(*f.db, customer, {"+15557654321", "a@b.cd", 0, 0}).ok());
  CHECK(violates(
      try_write(*f.db, "INSERT INTO shop_services (code, name, duration_minutes) VALUES (?, 'X', 30)",
                {"Oil"}),
      ConstraintKind::kCheck, "shop_services_code_format"));
  CHECK(violates(
      try_write(*f.db, "INSERT INTO shop_services (code, name, duration_minutes) VALUES (?, 'X', 30)",
                {"oil_change"}),
      ConstraintKind::kPrimaryKey, "shop_services_pkey"));
  const int64_t s = to_unix_ms(at(2, 9));
  CHECK(violates(try_write(*f.db, kInsertAppointment, {f.bob, f.ada_car, 1, s, s + 1800000, 0, 0}),
                 ConstraintKind::kTrigger, "appointments_vehicle_owner"));
  CHECK(violates(try_write(*f.db, kInsertAppointment, {f.ada, f.ada_car, 1, s, s + 86400001, 0, 0}),
                 ConstraintKind::kCheck, "appointments_time_order"));
  CHECK(
      violates(try_write(*f.db,
                         "INSERT INTO call_logs (call_id, from_number, to_number, started_at_ms, outcome, "
                         "transcript_json) VALUES ('CA1', '+15551234567', '+15550000000', ?, 'completed', ?)",
                         {0, "[{\"role\": "}),
               ConstraintKind::kCheck, "call_logs_transcript_json"));
}

TEST_CASE(
    "postgres schema: deleting a customer cascades to vehicles and appointments and unlinks call logs") {
  if (!store_backend_available()) return;
  TwoCustomersFixture f;
  const int64_t s = to_unix_ms(at(2, 9));
  REQUIRE(try_write(*f.db, kInsertAppointment, {f.ada, f.ada_car, 1, s, s + 1800000, 0, 0}).ok());
  {
    auto tx = f.db->begin();
    REQUIRE(tx.ok());
    REQUIRE(tx->execute(kInsertAppointment, {f.ada, f.ada_car, 1, s, s + 1800000, 0, 0}).ok());
    CallLog log;
    log.call_id = "CA-ada";
    log.from_number = "+15551234567";
    log.to_number = "+15550000000";
    log.customer_id = f.ada;
    REQUIRE(CallLogRepository(f.clock).save(*tx, log).ok());
    REQUIRE(tx->commit().ok());
  }
  {
    auto tx = f.db->begin();
    REQUIRE(tx.ok());
    REQUIRE(f.customers.remove(*tx, f.ada).ok());
    REQUIRE(tx->commit().ok());
  }
  CHECK(scalar(*f.db, "SELECT count(*) AS n FROM vehicles WHERE customer_id = ?", {f.ada}) == 0);
  CHECK(scalar(*f.db, "SELECT count(*) AS n FROM appointments") == 0);
  CHECK(scalar(*f.db, "SELECT count(*) AS n FROM call_logs WHERE customer_id IS NULL") == 1);
}

}  // namespace
}  // namespace voxline::testing
