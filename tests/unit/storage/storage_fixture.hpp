// Shared set-up for storage tests: a fresh service-desk store (by default a SQLite file in a
// TempDir), a ManualClock on Monday 2030-01-07 06:00 UTC and a configured shop (3 bays, 30-minute
// slots, Mon-Fri 08:00-17:00, Sat 09:00-13:00, UTC offset 0).
//
// The service-desk suite (the repository and booking tests) is one set of source files built into
// two binaries: storage_unit_tests runs it on SQLite, storage_postgres_tests on PostgreSQL. A binary
// picks its backend by installing store_backend() (pg_service_desk_store.cpp) before any test runs;
// the suite's cases are VOXLINE_STORE_TEST_CASE, which skip (reported) when that backend cannot run.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "voxline/core/clock.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/storage/appointment_repository.hpp"
#include "voxline/storage/customer_repository.hpp"
#include "voxline/storage/database.hpp"
#include "voxline/storage/models.hpp"
#include "voxline/storage/schema.hpp"
#include "voxline/storage/shop_config_repository.hpp"
#include "voxline/storage/sqlite_database.hpp"
#include "voxline/storage/validators.hpp"
#include "voxline/storage/vehicle_repository.hpp"

namespace voxline::testing {

// 2030-01-07T00:00:00Z, a Monday.
inline WallTime monday_midnight() {
  return from_unix_ms(int64_t{1893974400} * 1000);
}
// Monday + `days`, at hh:mm UTC.
inline WallTime at(int days, int hh, int mm = 0) {
  return monday_midnight() + std::chrono::hours(24 * days + hh) + std::chrono::minutes(mm);
}

inline ShopConfig test_shop_config() {
  ShopConfig c;
  c.name = "Main Street Auto";
  c.bays = 3;
  c.slots.slot_minutes = 30;
  c.slots.utc_offset_minutes = 0;
  for (int d = 1; d <= 5; ++d) c.slots.hours.push_back({d, 8 * 60, 17 * 60});
  c.slots.hours.push_back({6, 9 * 60, 13 * 60});
  c.services = {{"oil_change", "Oil change", 30},
                {"brake_inspection", "Brake inspection", 60},
                {"diagnostics", "Engine diagnostics", 90}};
  return c;
}

inline int64_t count_rows(Database &db, const std::string &table) {
  auto tx = db.begin(TxMode::kRead);
  REQUIRE(tx.ok());
  auto row = tx->query_row("SELECT count(*) AS n FROM " + table);
  REQUIRE(row.ok());
  REQUIRE(row->has_value());
  return (*row)->get_int64("n").value();
}

struct StorageFixture;

// The backend StorageFixture opens its store on. Unset members mean SQLite.
struct StoreBackend {
  // False after reporting why the backend cannot run (a loud skip, or FAIL under CI=true).
  std::function<bool()> available;
  // A fresh, empty store with the service-desk schema, its metrics in f.metrics; whatever the
  // store needs to outlive it (a test database) goes into `keep`.
  std::function<std::unique_ptr<Database>(StorageFixture &f, std::shared_ptr<void> &keep)> open;
};
inline StoreBackend &store_backend() {
  static StoreBackend backend;
  return backend;
}
inline bool store_backend_available() {
  return !store_backend().available || store_backend().available();
}

// A TEST_CASE of the service-desk suite: runs on the binary's store_backend() when it can run.
#define VOXLINE_STORE_TEST_CASE(name) VOXLINE_STORE_TEST_CASE_IMPL(name, DOCTEST_ANONYMOUS(STORE_CASE_))
#define VOXLINE_STORE_TEST_CASE_IMPL(name, fn)               \
  static void fn();                                          \
  TEST_CASE(name) {                                          \
    if (::voxline::testing::store_backend_available()) fn(); \
  }                                                          \
  static void fn()

struct StorageFixture {
  TempDir dir{"voxline-storage"};
  ManualClock clock{at(0, 6)};
  MetricsRegistry metrics;
  std::shared_ptr<void> keep;  // declared before db: outlives it
  std::unique_ptr<Database> db;

  explicit StorageFixture(bool configure_shop = true) {
    REQUIRE(dir.ok());
    if (store_backend().open) {
      db = store_backend().open(*this, keep);
    } else {
      SqliteOptions o;
      o.path = dir.file("shop.db");
      o.database.metrics = &metrics;
      auto opened = open_service_desk_sqlite(o);
      REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
      db = std::move(*opened);
    }
    REQUIRE(db != nullptr);
    if (configure_shop) {
      auto tx = db->begin();
      REQUIRE(tx.ok());
      REQUIRE(ShopConfigRepository(clock).save(*tx, test_shop_config()).ok());
      REQUIRE(tx->commit().ok());
    }
  }
};

// StorageFixture plus two registered customers with one car each: Ada (Ford F-150) and Bob
// (Honda Accord), committed.
struct TwoCustomersFixture : StorageFixture {
  CustomerRepository customers{clock};
  VehicleRepository vehicles{clock};
  AppointmentRepository appointments{clock};
  int64_t ada = 0;
  int64_t bob = 0;
  int64_t ada_car = 0;
  int64_t bob_car = 0;

  TwoCustomersFixture() {
    auto tx = db->begin();
    REQUIRE(tx.ok());
    auto a = customers.register_customer(*tx, {"Ada", "5551234567", std::nullopt},
                                         {{0, "1M8GDM9AXKP042788", 1989, "Ford", "F-150"}});
    auto b = customers.register_customer(*tx, {"Bob", "5552345678", std::nullopt},
                                         {{0, "1HGCM82633A004352", 2003, "Honda", "Accord"}});
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    ada = a->customer.id;
    bob = b->customer.id;
    ada_car = a->vehicles[0].id;
    bob_car = b->vehicles[0].id;
    REQUIRE(tx->commit().ok());
  }
};

}  // namespace voxline::testing
