// A database error names the rule that refused the row, as data (DbError), on a real SQLite
// file: one case per kind of constraint the service-desk schema uses.
#include <doctest/doctest.h>

#include "storage/sql/sqlite_constraints.hpp"
#include "unit/storage/storage_fixture.hpp"
#include "voxline/storage/appointment_repository.hpp"
#include "voxline/storage/customer_repository.hpp"
#include "voxline/storage/db_error.hpp"

using namespace voxline;
using voxline::testing::at;
using voxline::testing::count_rows;
using voxline::testing::StorageFixture;

namespace {

struct Shop : voxline::testing::TwoCustomersFixture {
  // Runs `sql` in its own transaction (rolled back) and returns its error.
  Status refused(const std::string &sql, const SqlParams &params = {}) {
    auto tx = db->begin();
    REQUIRE(tx.ok());
    auto r = tx->execute(sql, params);
    REQUIRE_FALSE(r.ok());
    return r.status();
  }
};

DbError error_of(const Status &s) {
  const DbError *e = db_error(s);
  REQUIRE_MESSAGE(e != nullptr, "no DbError on " << s.to_string());
  return *e;
}

const char *kInsertVehicle =
    "INSERT INTO vehicles (customer_id, vin, year, make, model, created_at_ms) VALUES (?, ?, 2020, 'Ford', "
    "'F-150', 0)";
const char *kInsertAppointment =
    "INSERT INTO appointments (customer_id, vehicle_id, service, bay, start_ms, end_ms, created_at_ms, "
    "updated_at_ms) VALUES (?, ?, 'oil_change', 1, ?, ?, 0, 0)";

}  // namespace

TEST_CASE("a double booking names the overlap trigger, through the repository and around it") {
  Shop f;
  {
    auto tx = f.db->begin();
    REQUIRE(tx.ok());
    REQUIRE(f.appointments.book(*tx, {f.ada, f.ada_car, "oil_change", 1, at(0, 9), std::nullopt}).ok());
    REQUIRE(tx->commit().ok());
  }
  {
    auto tx = f.db->begin();
    REQUIRE(tx.ok());
    auto again = f.appointments.book(*tx, {f.ada, f.ada_car, "oil_change", 1, at(0, 9), std::nullopt});
    REQUIRE_FALSE(again.ok());
    CHECK(again.status().code() == StatusCode::kConflict);
    CHECK(again.status().message().find("bay 1") != std::string::npos);  // the repository's words
    CHECK(violates(again.status(), ConstraintKind::kTrigger, "appointments_no_overlap"));
  }
  const int64_t start = to_unix_ms(at(0, 9));
  const DbError e = error_of(f.refused(kInsertAppointment, {f.ada, f.ada_car, start, start + 1800000}));
  CHECK(e.kind == ConstraintKind::kTrigger);
  CHECK(e.constraint == "appointments_no_overlap");
  CHECK(e.sqlite_code == SQLITE_CONSTRAINT_TRIGGER);
  CHECK(e.sqlstate == "P0001");
}

TEST_CASE("a vehicle of another customer names the owner trigger") {
  Shop f;
  const int64_t start = to_unix_ms(at(1, 9));
  const Status s = f.refused(kInsertAppointment, {f.ada, f.bob_car, start, start + 1800000});
  CHECK(violates(s, ConstraintKind::kTrigger, "appointments_vehicle_owner"));
}

TEST_CASE("a duplicate phone names the unique index with its table and column") {
  Shop f;
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto dup = f.customers.create(*tx, {"Ada Again", "5551234567", std::nullopt});
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().code() == StatusCode::kConflict);
  CHECK(dup.status().message().find("already exists") != std::string::npos);
  const DbError e = error_of(dup.status());
  CHECK(e.kind == ConstraintKind::kUnique);
  CHECK(e.constraint == "customers_phone_unique");
  CHECK(e.table == "customers");
  CHECK(e.columns == std::vector<std::string>{"phone"});
  CHECK(e.sqlite_code == SQLITE_CONSTRAINT_UNIQUE);
  CHECK(e.sqlstate == "23505");
}

TEST_CASE("a duplicate VIN and a duplicate call id name their unique indexes") {
  Shop f;
  CHECK(violates(f.refused(kInsertVehicle, {f.ada, "1M8GDM9AXKP042788"}), ConstraintKind::kUnique,
                 "vehicles_vin_unique"));
  {
    auto tx = f.db->begin();
    REQUIRE(tx.ok());
    REQUIRE(tx->execute("INSERT INTO call_logs (call_id, from_number, to_number, started_at_ms, outcome) "
                        "VALUES ('CA1', '+15551234567', '+15550000000', 0, 'completed')")
                .ok());
    REQUIRE(tx->commit().ok());
  }
  CHECK(violates(f.refused("INSERT INTO call_logs (call_id, from_number, to_number, started_at_ms, outcome) "
                           "VALUES ('CA1', '+15551234567', '+15550000000', 0, 'completed')"),
                 ConstraintKind::kUnique, "call_logs_call_id_unique"));
}

TEST_CASE("a malformed VIN written around the validators names the CHECK constraint") {
  Shop f;
  const Status s = f.refused(kInsertVehicle, {f.ada, "1M8GDM9AXKP0427O8"});
  CHECK(s.code() == StatusCode::kInvalidArgument);
  const DbError e = error_of(s);
  CHECK(e.kind == ConstraintKind::kCheck);
  CHECK(e.constraint == "vehicles_vin_format");
  CHECK(e.sqlite_code == SQLITE_CONSTRAINT_CHECK);
  CHECK(e.sqlstate == "23514");
  // A table-level CHECK is named the same way.
  CHECK(
      violates(f.refused("INSERT INTO shop_hours (weekday, open_minute, close_minute) VALUES (0, 600, 500)"),
               ConstraintKind::kCheck, "shop_hours_window"));
}

TEST_CASE("an unknown customer names the foreign key, also on a table with several foreign keys") {
  Shop f;
  const Status s = f.refused(kInsertVehicle, {int64_t{999}, "1HGCM82633A004353"});
  CHECK(s.code() == StatusCode::kInvalidArgument);
  const DbError e = error_of(s);
  CHECK(e.kind == ConstraintKind::kForeignKey);
  CHECK(e.constraint == "vehicles_customer_id_fkey");
  CHECK(e.table == "vehicles");
  CHECK(e.columns == std::vector<std::string>{"customer_id"});
  CHECK(e.sqlstate == "23503");
  // appointments references customers and vehicles: the probe tells which one failed.
  const int64_t start = to_unix_ms(at(2, 9));
  CHECK(violates(f.refused(kInsertAppointment, {int64_t{999}, nullptr, start, start + 1800000}),
                 ConstraintKind::kForeignKey, "appointments_customer_id_fkey"));
}

TEST_CASE("naming a foreign key leaves the transaction usable and writes nothing") {
  Shop f;
  const int64_t before = count_rows(*f.db, "appointments");
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  const int64_t start = to_unix_ms(at(2, 9));
  auto bad = tx->execute(kInsertAppointment, {int64_t{999}, nullptr, start, start + 1800000});
  CHECK(violates(bad.status(), ConstraintKind::kForeignKey, "appointments_customer_id_fkey"));
  // The key is enforced again right after: the same write still fails, a good one succeeds.
  CHECK(db_error(tx->execute(kInsertAppointment, {int64_t{998}, nullptr, start, start + 1800000}).status()) !=
        nullptr);
  REQUIRE(tx->execute(kInsertAppointment, {f.ada, f.ada_car, start, start + 1800000}).ok());
  REQUIRE(tx->commit().ok());
  CHECK(count_rows(*f.db, "appointments") == before + 1);
}

TEST_CASE("a missing required column names table.column, a duplicate key names <table>_pkey") {
  Shop f;
  const DbError nn =
      error_of(f.refused("INSERT INTO customers (name, phone, created_at_ms, updated_at_ms) VALUES (NULL, "
                         "'+15553334444', 0, 0)"));
  CHECK(nn.kind == ConstraintKind::kNotNull);
  CHECK(nn.constraint == "customers.name");
  CHECK(nn.sqlstate == "23502");
  // shop_services.code is a TEXT primary key, shop_hours.weekday an INTEGER (rowid) one.
  CHECK(violates(f.refused("INSERT INTO shop_services (code, name, duration_minutes) VALUES ('oil_change', "
                           "'Oil', 30)"),
                 ConstraintKind::kPrimaryKey, "shop_services_pkey"));
  CHECK(violates(f.refused("INSERT INTO shop_hours (weekday, open_minute, close_minute) VALUES (1, 0, 60)"),
                 ConstraintKind::kPrimaryKey, "shop_hours_pkey"));
}

TEST_CASE("errors that are not constraint violations carry no constraint") {
  Shop f;
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto r = tx->execute("INSERT INTO no_such_table (x) VALUES (1)");
  REQUIRE_FALSE(r.ok());
  CHECK(db_error(r.status()) == nullptr);
}

TEST_CASE("the written table is read from INSERT, REPLACE, UPDATE and DELETE statements") {
  using voxline::detail::written_table;
  CHECK(written_table("INSERT INTO vehicles (a) VALUES (1)") == "vehicles");
  CHECK(written_table("  insert or ignore into \"call logs\"(a) values (1)") == "call logs");
  CHECK(written_table("REPLACE INTO main.customers (a) VALUES (1)") == "customers");
  CHECK(written_table("UPDATE OR ABORT appointments SET bay = 2") == "appointments");
  CHECK(written_table("UPDATE [vehicles] SET vin = ?") == "vehicles");
  CHECK(written_table("DELETE FROM customers WHERE id = ?") == "customers");
  CHECK(written_table("SELECT 1") == "");
  CHECK(written_table("INSERT \"unterminated") == "");
  CHECK(written_table("") == "");
}
