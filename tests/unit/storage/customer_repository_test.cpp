// CustomerRepository and VehicleRepository. Part of the service-desk suite (storage_fixture.hpp):
// it runs on SQLite in storage_unit_tests and on PostgreSQL in storage_postgres_tests.
#include <doctest/doctest.h>

#include "unit/storage/storage_fixture.hpp"
#include "voxline/storage/appointment_repository.hpp"
#include "voxline/storage/call_log_repository.hpp"
#include "voxline/storage/customer_repository.hpp"
#include "voxline/storage/vehicle_repository.hpp"

using namespace voxline;
using voxline::testing::at;
using voxline::testing::count_rows;
using voxline::testing::StorageFixture;

namespace {

const char *const kVin1 = "1M8GDM9AXKP042788";
const char *const kVin2 = "1HGCM82633A004352";

}  // namespace

VOXLINE_STORE_TEST_CASE("a customer is stored with the phone in E.164 and found by any phone format") {
  StorageFixture f;
  CustomerRepository repo(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto c = repo.create(*tx, {" Ada Lovelace ", "(555) 123-4567", std::string("Ada@Example.com")});
  REQUIRE_MESSAGE(c.ok(), c.status().to_string());
  CHECK(c->phone == "+15551234567");
  CHECK(c->name == "Ada Lovelace");
  CHECK(c->email.value() == "Ada@example.com");
  CHECK(c->created_at == f.clock.wall_now());
  for (const char *format : {"+1 555 123 4567", "555.123.4567", "15551234567"}) {
    auto found = repo.find_by_phone(*tx, format);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->id == c->id);
  }
  auto nobody = repo.find_by_phone(*tx, "(555) 999-0000");
  REQUIRE(nobody.ok());
  CHECK_FALSE(nobody->has_value());
  CHECK(repo.find_by_phone(*tx, "not a phone").status().code() == StatusCode::kInvalidArgument);
  REQUIRE(tx->commit().ok());
  CHECK(count_rows(*f.db, "customers") == 1);
}

VOXLINE_STORE_TEST_CASE("a second customer with the same phone in another format is refused with CONFLICT") {
  StorageFixture f;
  CustomerRepository repo(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  REQUIRE(repo.create(*tx, {"Ada", "555.123.4567", std::nullopt}).ok());
  auto dup = repo.create(*tx, {"Eve", "+1 (555) 123-4567", std::nullopt});
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().code() == StatusCode::kConflict);
  CHECK(dup.status().message().find("+15551234567 already exists") != std::string::npos);
}

VOXLINE_STORE_TEST_CASE("invalid customer input is refused with the validator's reason and writes nothing") {
  StorageFixture f;
  CustomerRepository repo(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto bad_phone = repo.create(*tx, {"Ada", "555-CALL-NOW", std::nullopt});
  CHECK(bad_phone.status().code() == StatusCode::kInvalidArgument);
  CHECK(bad_phone.status().message().find("customer phone") != std::string::npos);
  auto no_domain = repo.create(*tx, {"Ada", "5551234567", std::string("ada@")});
  CHECK(no_domain.status().code() == StatusCode::kInvalidArgument);
  CHECK(no_domain.status().message().find("no domain") != std::string::npos);
  CHECK(repo.create(*tx, {"   ", "5551234567", std::nullopt}).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(repo.create(*tx, {"A\x07"
                          "da",
                          "5551234567", std::nullopt})
            .status()
            .code() == StatusCode::kInvalidArgument);
  REQUIRE(tx->commit().ok());
  CHECK(count_rows(*f.db, "customers") == 0);
}

VOXLINE_STORE_TEST_CASE(
    "the schema's CHECK constraints refuse a malformed phone written around the repository") {
  StorageFixture f;
  // Each write in a transaction of its own (a failed statement ends a PostgreSQL transaction);
  // times are bound as Unix ms, as the portable subset says.
  auto refused = [&](const char *sql, const SqlParams &params) {
    auto tx = f.db->begin();
    REQUIRE(tx.ok());
    Status st = tx->execute(sql, params).status();
    REQUIRE_FALSE(st.ok());
    return st;
  };
  const Status r =
      refused("INSERT INTO customers (name, phone, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?)",
              {"Ada", "555-123-4567", 0, 0});
  CHECK(r.code() == StatusCode::kInvalidArgument);
  CHECK(r.message().find("customers_phone_e164") != std::string::npos);
  const Status vin = refused(
      "INSERT INTO vehicles (customer_id, vin, year, make, model, created_at_ms) "
      "VALUES (1, ?, 2020, 'Ford', 'F-150', ?)",
      {"1M8GDM9AXKP0427O8", 0});
  CHECK(vin.message().find("vehicles_vin_format") != std::string::npos);
  CHECK(count_rows(*f.db, "customers") == 0);
}

VOXLINE_STORE_TEST_CASE("contact details and phone can be changed, unknown ids give NOT_FOUND") {
  StorageFixture f;
  CustomerRepository repo(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto c = repo.create(*tx, {"Ada", "5551234567", std::nullopt});
  REQUIRE(c.ok());
  REQUIRE(repo.create(*tx, {"Bob", "5552345678", std::nullopt}).ok());
  f.clock.advance(std::chrono::minutes(5));
  auto u = repo.update_contact(*tx, c->id, "Ada King", std::string("ada@king.org"));
  REQUIRE(u.ok());
  CHECK(u->name == "Ada King");
  CHECK(u->email.value() == "ada@king.org");
  CHECK(u->updated_at > u->created_at);
  CHECK(repo.update_contact(*tx, c->id, "Ada King", std::nullopt)->email == std::nullopt);
  CHECK(repo.change_phone(*tx, c->id, "+1 555 345 6789")->phone == "+15553456789");
  CHECK(repo.change_phone(*tx, c->id, "555-234-5678").status().code() == StatusCode::kConflict);
  CHECK(repo.get(*tx, 999).status().code() == StatusCode::kNotFound);
  CHECK(repo.update_contact(*tx, 999, "X", std::nullopt).status().code() == StatusCode::kNotFound);
  CHECK(repo.remove(*tx, 999).code() == StatusCode::kNotFound);
}

VOXLINE_STORE_TEST_CASE("vehicles need a valid VIN, a plausible year and an existing owner") {
  StorageFixture f;
  CustomerRepository customers(f.clock);
  VehicleRepository vehicles(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto c = customers.create(*tx, {"Ada", "5551234567", std::nullopt});
  REQUIRE(c.ok());
  auto v = vehicles.add(*tx, {c->id, "1m8gdm9axkp042788", 1989, "Ford", "F-150"});
  REQUIRE_MESSAGE(v.ok(), v.status().to_string());
  CHECK(v->vin == kVin1);
  auto wrong_digit = vehicles.add(*tx, {c->id, "1M8GDM9A1KP042788", 1989, "Ford", "F-150"});
  CHECK(wrong_digit.status().code() == StatusCode::kInvalidArgument);
  CHECK(wrong_digit.status().message().find("check digit") != std::string::npos);
  CHECK(vehicles.add(*tx, {c->id, "1M8GDM9AXKP0427O8", 1989, "Ford", "F-150"})
            .status()
            .message()
            .find("I, O or Q") != std::string::npos);
  CHECK(vehicles.add(*tx, {c->id, "1M8GDM9AXKP04278", 1989, "Ford", "F-150"})
            .status()
            .message()
            .find("17 characters") != std::string::npos);
  CHECK(vehicles.add(*tx, {c->id, kVin2, 1975, "Honda", "Accord"}).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(vehicles.add(*tx, {c->id, kVin2, 2003, "", "Accord"}).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(vehicles.add(*tx, {999, kVin2, 2003, "Honda", "Accord"}).status().code() == StatusCode::kNotFound);
  auto dup = vehicles.add(*tx, {c->id, kVin1, 1989, "Ford", "F-150"});
  CHECK(dup.status().code() == StatusCode::kConflict);
  CHECK(dup.status().message().find(kVin1) != std::string::npos);
  REQUIRE(vehicles.add(*tx, {c->id, kVin2, 2003, "Honda", "Accord"}).ok());
  auto list = vehicles.list_for_customer(*tx, c->id);
  REQUIRE(list.ok());
  CHECK(list->size() == 2);
  auto by_vin = vehicles.find_by_vin(*tx, kVin2);
  REQUIRE(by_vin.ok());
  CHECK((*by_vin)->model == "Accord");
  CHECK_FALSE(vehicles.find_by_vin(*tx, "11111111111111111")->has_value());
  CHECK(vehicles.remove(*tx, v->id).ok());
  CHECK(vehicles.get(*tx, v->id).status().code() == StatusCode::kNotFound);
}

VOXLINE_STORE_TEST_CASE("registering a customer with vehicles writes all rows or none") {
  StorageFixture f;
  CustomerRepository customers(f.clock);
  {
    auto tx = f.db->begin();
    REQUIRE(tx.ok());
    auto other = customers.register_customer(*tx, {"Bob", "5552345678", std::nullopt},
                                             {{0, kVin2, 2003, "Honda", "Accord"}});
    REQUIRE(other.ok());
    REQUIRE(tx->commit().ok());
  }
  const int64_t customers_before = count_rows(*f.db, "customers");
  const int64_t vehicles_before = count_rows(*f.db, "vehicles");
  {
    auto tx = f.db->begin();
    REQUIRE(tx.ok());
    // The second vehicle's VIN is taken: customer and first vehicle must not remain.
    auto r =
        customers.register_customer(*tx, {"Ada", "5551234567", std::nullopt},
                                    {{0, kVin1, 1989, "Ford", "F-150"}, {0, kVin2, 2003, "Honda", "Accord"}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kConflict);
    CHECK(r.status().message().find("vehicle #2") != std::string::npos);
    // Even a caller that commits after the failure gets no partial rows.
    REQUIRE(tx->commit().ok());
  }
  CHECK(count_rows(*f.db, "customers") == customers_before);
  CHECK(count_rows(*f.db, "vehicles") == vehicles_before);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto ok = customers.register_customer(
      *tx, {"Ada", "5551234567", std::nullopt},
      {{0, kVin1, 1989, "Ford", "F-150"}, {0, "11111111111111111", 2001, "Kia", "Rio"}});
  REQUIRE(ok.ok());
  CHECK(ok->vehicles.size() == 2);
  CHECK(ok->vehicles[1].customer_id == ok->customer.id);
}

VOXLINE_STORE_TEST_CASE("deleting a customer cascades to vehicles and appointments and unlinks call logs") {
  StorageFixture f;
  CustomerRepository customers(f.clock);
  AppointmentRepository appointments(f.clock);
  CallLogRepository calls(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto reg = customers.register_customer(*tx, {"Ada", "5551234567", std::nullopt},
                                         {{0, kVin1, 1989, "Ford", "F-150"}});
  REQUIRE(reg.ok());
  auto appt = appointments.book(
      *tx, {reg->customer.id, reg->vehicles[0].id, "oil_change", 1, at(0, 9), std::nullopt});
  REQUIRE_MESSAGE(appt.ok(), appt.status().to_string());
  CallLog log;
  log.call_id = "CA1";
  log.from_number = "+15551234567";
  log.to_number = "+15550000000";
  log.customer_id = reg->customer.id;
  log.started_at = f.clock.wall_now();
  REQUIRE(calls.save(*tx, log).ok());
  REQUIRE(customers.remove(*tx, reg->customer.id).ok());
  REQUIRE(tx->commit().ok());
  CHECK(count_rows(*f.db, "vehicles") == 0);
  CHECK(count_rows(*f.db, "appointments") == 0);
  auto check = f.db->begin(TxMode::kRead);
  REQUIRE(check.ok());
  auto kept = calls.get_by_call_id(*check, "CA1");
  REQUIRE(kept.ok());
  CHECK_FALSE(kept->customer_id.has_value());
}
