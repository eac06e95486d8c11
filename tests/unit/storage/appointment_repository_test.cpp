// AppointmentRepository and the database rule against double booking. Part of the service-desk
// suite (storage_fixture.hpp): it runs on SQLite in storage_unit_tests and on PostgreSQL in
// storage_postgres_tests.
#include <doctest/doctest.h>

#include "unit/storage/storage_fixture.hpp"
#include "voxline/storage/appointment_repository.hpp"
#include "voxline/storage/customer_repository.hpp"
#include "voxline/storage/vehicle_repository.hpp"

using namespace voxline;
using voxline::testing::at;
using voxline::testing::count_rows;
using voxline::testing::StorageFixture;

namespace {

struct Booked : voxline::testing::TwoCustomersFixture {
  Result<Appointment> book(int64_t customer, std::optional<int64_t> car, const char *service, int bay,
                           WallTime start) {
    auto tx = db->begin();
    REQUIRE(tx.ok());
    auto r = appointments.book(*tx, {customer, car, service, bay, start, std::nullopt});
    if (r.ok()) REQUIRE(tx->commit().ok());
    return r;
  }
};

}  // namespace

VOXLINE_STORE_TEST_CASE("a booking stores the slot with its end taken from the service duration") {
  Booked f;
  auto a = f.book(f.ada, f.ada_car, "brake_inspection", 2, at(0, 9));
  REQUIRE_MESSAGE(a.ok(), a.status().to_string());
  CHECK(a->start == at(0, 9));
  CHECK(a->end == at(0, 10));
  CHECK(a->bay == 2);
  CHECK(a->status == AppointmentStatus::kScheduled);
  CHECK(a->vehicle_id.value() == f.ada_car);
}

VOXLINE_STORE_TEST_CASE(
    "overlapping bookings in the same bay are refused with CONFLICT, adjacent and other bays are not") {
  Booked f;
  REQUIRE(f.book(f.ada, f.ada_car, "brake_inspection", 1, at(0, 9)).ok());  // 09:00-10:00
  auto same = f.book(f.bob, f.bob_car, "brake_inspection", 1, at(0, 9));
  CHECK(same.status().code() == StatusCode::kConflict);
  CHECK(same.status().message().find("bay 1") != std::string::npos);
  // Starts inside the existing slot.
  CHECK(f.book(f.bob, f.bob_car, "oil_change", 1, at(0, 9, 30)).status().code() == StatusCode::kConflict);
  // Starts before and runs into it (08:00-09:30).
  CHECK(f.book(f.bob, f.bob_car, "diagnostics", 1, at(0, 8)).status().code() == StatusCode::kConflict);
  // Touching intervals do not overlap.
  CHECK(f.book(f.bob, f.bob_car, "oil_change", 1, at(0, 10)).ok());
  CHECK(f.book(f.bob, f.bob_car, "oil_change", 1, at(0, 8, 30)).ok());
  CHECK(f.book(f.bob, f.bob_car, "brake_inspection", 2, at(0, 9)).ok());
  CHECK(count_rows(*f.db, "appointments") == 4);
}

VOXLINE_STORE_TEST_CASE(
    "the database itself refuses an overlapping live appointment inserted around the repository") {
  Booked f;
  REQUIRE(f.book(f.ada, std::nullopt, "diagnostics", 3, at(0, 9)).ok());  // 09:00-10:30
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  const int64_t s = to_unix_ms(at(0, 10));
  // Times are bound as Unix ms (a timestamptz in PostgreSQL takes no integer literal); each refused
  // write runs in a savepoint, since only that leaves a PostgreSQL transaction usable (database.hpp).
  auto refused = [&](const char *sql, const SqlParams &params) {
    auto sp = tx->savepoint();
    REQUIRE(sp.ok());
    Status st = tx->execute(sql, params).status();
    REQUIRE_FALSE(st.ok());
    REQUIRE(sp->rollback().ok());
    return st;
  };
  const Status raw = refused(
      "INSERT INTO appointments (customer_id, service, bay, start_ms, end_ms, created_at_ms, "
      "updated_at_ms) VALUES (?, 'oil_change', 3, ?, ?, ?, ?)",
      {f.bob, s, s + 30 * 60000, 0, 0});
  CHECK(raw.code() == StatusCode::kConflict);
  CHECK(raw.message().find("appointments_no_overlap") != std::string::npos);
  // A cancelled row may share the slot: only live (scheduled) appointments count.
  CHECK(tx->execute(
              "INSERT INTO appointments (customer_id, service, bay, start_ms, end_ms, status, created_at_ms, "
              "updated_at_ms) VALUES (?, 'oil_change', 3, ?, ?, 'cancelled', ?, ?)",
              {f.bob, s, s + 30 * 60000, 0, 0})
            .ok());
  const Status bad_status = refused(
      "INSERT INTO appointments (customer_id, service, bay, start_ms, end_ms, status, "
      "created_at_ms, updated_at_ms) VALUES (?, 'oil_change', 2, ?, ?, 'maybe', ?, ?)",
      {f.bob, s, s + 30 * 60000, 0, 0});
  CHECK(bad_status.message().find("appointments_status_enum") != std::string::npos);
  const Status wrong_owner = refused(
      "INSERT INTO appointments (customer_id, vehicle_id, service, bay, start_ms, end_ms, "
      "created_at_ms, updated_at_ms) VALUES (?, ?, 'oil_change', 2, ?, ?, ?, ?)",
      {f.bob, f.ada_car, s, s + 30 * 60000, 0, 0});
  CHECK(wrong_owner.message().find("appointments_vehicle_owner") != std::string::npos);
  REQUIRE(tx->commit().ok());
  CHECK(count_rows(*f.db, "appointments") == 2);  // the first booking and the cancelled row
}

VOXLINE_STORE_TEST_CASE("a cancelled slot can be booked again") {
  Booked f;
  auto a = f.book(f.ada, f.ada_car, "oil_change", 1, at(1, 11));
  REQUIRE(a.ok());
  {
    auto tx = f.db->begin();
    REQUIRE(tx.ok());
    REQUIRE(f.appointments.cancel(*tx, a->id).ok());
    CHECK(f.appointments.cancel(*tx, a->id).code() == StatusCode::kFailedPrecondition);
    REQUIRE(tx->commit().ok());
  }
  CHECK(f.book(f.bob, f.bob_car, "oil_change", 1, at(1, 11)).ok());
}

VOXLINE_STORE_TEST_CASE(
    "bookings outside hours, off the grid, in the past or with bad references are refused") {
  Booked f;
  auto expect = [&](Result<Appointment> r, StatusCode code, const char *part) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == code);
    CHECK_MESSAGE(r.status().message().find(part) != std::string::npos, r.status().to_string());
  };
  expect(f.book(f.ada, f.ada_car, "oil_change", 1, at(0, 17)), StatusCode::kInvalidArgument, "opening hours");
  expect(f.book(f.ada, f.ada_car, "oil_change", 1, at(0, 9, 10)), StatusCode::kInvalidArgument, "grid");
  expect(f.book(f.ada, f.ada_car, "oil_change", 1, at(-1, 9)), StatusCode::kInvalidArgument, "past");
  expect(f.book(f.ada, f.ada_car, "oil_change", 1, at(6, 9)), StatusCode::kInvalidArgument,
         "closed on Sunday");
  expect(f.book(f.ada, f.ada_car, "car_wash", 1, at(0, 9)), StatusCode::kInvalidArgument, "offered: ");
  expect(f.book(f.ada, f.ada_car, "oil_change", 4, at(0, 9)), StatusCode::kInvalidArgument, "outside 1..3");
  expect(f.book(f.ada, f.bob_car, "oil_change", 1, at(0, 9)), StatusCode::kInvalidArgument,
         "another customer");
  expect(f.book(999, std::nullopt, "oil_change", 1, at(0, 9)), StatusCode::kNotFound, "customer 999");
  expect(f.book(f.ada, 999, "oil_change", 1, at(0, 9)), StatusCode::kNotFound, "vehicle 999");
  CHECK(count_rows(*f.db, "appointments") == 0);
}

VOXLINE_STORE_TEST_CASE("booking before the shop is configured is a FAILED_PRECONDITION") {
  StorageFixture f(false);
  CustomerRepository customers(f.clock);
  AppointmentRepository appointments(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto c = customers.create(*tx, {"Ada", "5551234567", std::nullopt});
  REQUIRE(c.ok());
  auto r = appointments.book(*tx, {c->id, std::nullopt, "oil_change", 1, at(0, 9), std::nullopt});
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
}

VOXLINE_STORE_TEST_CASE("rescheduling into a taken slot fails and leaves the appointment where it was") {
  Booked f;
  auto a = f.book(f.ada, f.ada_car, "brake_inspection", 1, at(0, 9));
  auto b = f.book(f.bob, f.bob_car, "brake_inspection", 1, at(0, 11));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto clash = f.appointments.reschedule(*tx, a->id, at(0, 10, 30), 1);
  CHECK(clash.status().code() == StatusCode::kConflict);
  CHECK(f.appointments.get(*tx, a->id)->start == at(0, 9));
  // Moving within its own slot (overlapping only itself) is fine.
  auto moved = f.appointments.reschedule(*tx, a->id, at(0, 9, 30), 1);
  REQUIRE_MESSAGE(moved.ok(), moved.status().to_string());
  CHECK(moved->end == at(0, 10, 30));
  auto other_bay = f.appointments.reschedule(*tx, a->id, at(0, 11), 2);
  REQUIRE(other_bay.ok());
  CHECK(other_bay->bay == 2);
  CHECK(f.appointments.reschedule(*tx, a->id, at(0, 7), 2).status().code() == StatusCode::kInvalidArgument);
  REQUIRE(f.appointments.set_status(*tx, b->id, AppointmentStatus::kCompleted).ok());
  CHECK(f.appointments.reschedule(*tx, b->id, at(0, 14), 1).status().code() ==
        StatusCode::kFailedPrecondition);
  CHECK(f.appointments.set_status(*tx, b->id, AppointmentStatus::kScheduled).code() ==
        StatusCode::kInvalidArgument);
  CHECK(f.appointments.set_status(*tx, 999, AppointmentStatus::kNoShow).code() == StatusCode::kNotFound);
}

VOXLINE_STORE_TEST_CASE("appointments are listed by customer and by time range, and free bays are reported") {
  Booked f;
  REQUIRE(f.book(f.ada, f.ada_car, "oil_change", 1, at(1, 9)).ok());
  REQUIRE(f.book(f.ada, f.ada_car, "oil_change", 1, at(0, 9)).ok());
  REQUIRE(f.book(f.bob, f.bob_car, "diagnostics", 2, at(0, 8, 30)).ok());  // 08:30-10:00
  auto tx = f.db->begin(TxMode::kRead);
  REQUIRE(tx.ok());
  auto mine = f.appointments.list_for_customer(*tx, f.ada, at(0, 0));
  REQUIRE(mine.ok());
  REQUIRE(mine->size() == 2);
  CHECK((*mine)[0].start == at(0, 9));  // earliest first
  auto monday = f.appointments.list_in_range(*tx, at(0, 0), at(1, 0));
  REQUIRE(monday.ok());
  REQUIRE(monday->size() == 2);
  CHECK((*monday)[0].bay == 2);
  auto free = f.appointments.free_bays(*tx, at(0, 9), std::chrono::minutes(30));
  REQUIRE(free.ok());
  CHECK(*free == std::vector<int>{3});
  CHECK(*f.appointments.free_bays(*tx, at(0, 10), std::chrono::minutes(60)) == std::vector<int>{1, 2, 3});
  CHECK(f.appointments.list_in_range(*tx, at(0, 0), at(1, 0), 0).status().code() ==
        StatusCode::kInvalidArgument);
}

VOXLINE_STORE_TEST_CASE("deleting a vehicle keeps its appointments with no vehicle") {
  Booked f;
  auto a = f.book(f.ada, f.ada_car, "oil_change", 1, at(0, 9));
  REQUIRE(a.ok());
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  REQUIRE(f.vehicles.remove(*tx, f.ada_car).ok());
  auto kept = f.appointments.get(*tx, a->id);
  REQUIRE(kept.ok());
  CHECK_FALSE(kept->vehicle_id.has_value());
}

VOXLINE_STORE_TEST_CASE("available slots list grid times inside opening hours with the bays still free") {
  Booked f;
  REQUIRE(f.book(f.ada, f.ada_car, "brake_inspection", 1, at(0, 9)).ok());  // bay 1 09:00-10:00
  REQUIRE(f.book(f.bob, f.bob_car, "diagnostics", 2, at(0, 9, 30)).ok());   // bay 2 09:30-11:00
  REQUIRE(f.book(f.bob, f.bob_car, "oil_change", 3, at(0, 10)).ok());       // bay 3 10:00-10:30
  auto tx = f.db->begin(TxMode::kRead);
  REQUIRE(tx.ok());
  auto slots = f.appointments.available_slots(*tx, at(0, 7), at(0, 11), "brake_inspection");
  REQUIRE_MESSAGE(slots.ok(), slots.status().to_string());
  // 07:00 and 07:30 are before opening; at 09:30 every bay is taken for part of the hour.
  REQUIRE(slots->size() == 5);
  CHECK((*slots)[0].start == at(0, 8));
  CHECK((*slots)[0].bays == std::vector<int>{1, 2, 3});  // 08:00-09:00
  CHECK((*slots)[1].bays == std::vector<int>{2, 3});     // 08:30-09:30: bay 1 is taken from 09:00
  CHECK((*slots)[2].bays == std::vector<int>{3});        // 09:00-10:00
  CHECK((*slots)[3].start == at(0, 10));                 // 10:00-11:00
  CHECK((*slots)[3].bays == std::vector<int>{1});
  CHECK((*slots)[4].bays == std::vector<int>{1, 3});  // 10:30-11:30: bay 2 is taken until 11:00
  CHECK((*slots)[4].end == at(0, 11, 30));
  auto limited = f.appointments.available_slots(*tx, at(0, 0), at(7, 0), "oil_change", 3);
  REQUIRE(limited.ok());
  CHECK(limited->size() == 3);
  auto saturday = f.appointments.available_slots(*tx, at(5, 0), at(6, 0), "diagnostics");
  REQUIRE(saturday.ok());
  REQUIRE(!saturday->empty());
  CHECK(saturday->front().start == at(5, 9));
  CHECK(saturday->back().start == at(5, 11, 30));  // 11:30-13:00 still fits
  CHECK(f.appointments.available_slots(*tx, at(0, 0), at(20, 0), "oil_change").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(f.appointments.available_slots(*tx, at(0, 0), at(1, 0), "car_wash").status().code() ==
        StatusCode::kInvalidArgument);
}

VOXLINE_STORE_TEST_CASE("available slots follow the shop's UTC offset") {
  Booked f;
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  ShopConfig c = voxline::testing::test_shop_config();
  c.slots.utc_offset_minutes = -300;  // UTC-5: Monday 08:00 local is 13:00 UTC
  REQUIRE(ShopConfigRepository(f.clock).save(*tx, c).ok());
  auto slots = f.appointments.available_slots(*tx, at(0, 0), at(1, 0), "oil_change");
  REQUIRE(slots.ok());
  REQUIRE(!slots->empty());
  CHECK(slots->front().start == at(0, 13));
  CHECK(slots->back().start == at(0, 21, 30));  // 16:30 local, the last half hour before 17:00
  CHECK(slots->size() == 18);
}
