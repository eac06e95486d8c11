// ShopConfigRepository and CallLogRepository. Part of the service-desk suite (storage_fixture.hpp):
// it runs on SQLite in storage_unit_tests and on PostgreSQL in storage_postgres_tests.
#include <doctest/doctest.h>

#include "unit/storage/storage_fixture.hpp"
#include "voxline/core/log.hpp"
#include "voxline/storage/call_log_repository.hpp"
#include "voxline/storage/customer_repository.hpp"
#include "voxline/storage/db_error.hpp"
#include "voxline/storage/shop_config_repository.hpp"

using namespace voxline;
using voxline::testing::at;
using voxline::testing::count_rows;
using voxline::testing::StorageFixture;

VOXLINE_STORE_TEST_CASE("shop configuration round-trips and a save replaces hours and services") {
  StorageFixture f;
  ShopConfigRepository repo(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto loaded = repo.load(*tx);
  REQUIRE(loaded.ok());
  CHECK(loaded->name == "Main Street Auto");
  CHECK(loaded->bays == 3);
  CHECK(loaded->slots.hours.size() == 6);
  CHECK(loaded->find_service("diagnostics")->duration_minutes == 90);
  ShopConfig c = *loaded;
  c.bays = 5;
  c.slots.hours = {{2, 7 * 60, 19 * 60}};
  c.services = {{"tires", "Tire change", 45}};
  REQUIRE(repo.save(*tx, c).ok());
  auto again = repo.load(*tx);
  REQUIRE(again.ok());
  CHECK(again->bays == 5);
  REQUIRE(again->slots.hours.size() == 1);
  CHECK(again->slots.hours[0].weekday == 2);
  REQUIRE(again->services.size() == 1);
  CHECK(again->find_service("oil_change") == nullptr);
}

VOXLINE_STORE_TEST_CASE("an invalid shop configuration is refused and the stored one stays") {
  StorageFixture f;
  ShopConfigRepository repo(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  ShopConfig c = voxline::testing::test_shop_config();
  c.services.push_back({"oil_change", "Again", 30});
  CHECK(repo.save(*tx, c).message().find("appears twice") != std::string::npos);
  c = voxline::testing::test_shop_config();
  c.services.push_back({"Bad Code", "x", 30});
  CHECK(repo.save(*tx, c).code() == StatusCode::kInvalidArgument);
  c = voxline::testing::test_shop_config();
  c.bays = 0;
  CHECK(repo.save(*tx, c).code() == StatusCode::kInvalidArgument);
  c = voxline::testing::test_shop_config();
  c.slots.slot_minutes = 1000;
  CHECK(repo.save(*tx, c).code() == StatusCode::kInvalidArgument);
  REQUIRE(tx->commit().ok());
  CHECK(count_rows(*f.db, "shop_services") == 3);
  CHECK(count_rows(*f.db, "shop_hours") == 6);
}

VOXLINE_STORE_TEST_CASE(
    "a shop configuration that fails in the database mid-save leaves the old one intact") {
  StorageFixture f;
  ShopConfigRepository repo(f.clock);
  // A unique index (DDL both backends take) standing in for a failure after some rows were
  // already replaced: the last service repeats the first one's duration.
  {
    auto tx = f.db->begin();
    REQUIRE(tx.ok());
    REQUIRE(tx->execute("CREATE UNIQUE INDEX fail_on_same_duration ON shop_services(duration_minutes)").ok());
    REQUIRE(tx->commit().ok());
  }
  ShopConfig c = voxline::testing::test_shop_config();
  c.name = "Renamed";
  c.slots.hours = {{3, 8 * 60, 12 * 60}};
  c.services.push_back({"tires", "Tire change", c.services.front().duration_minutes});
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  Status s = repo.save(*tx, c);
  CHECK(violates(s, ConstraintKind::kUnique, "fail_on_same_duration"));
  REQUIRE(tx->commit().ok());  // even a commit after the failure keeps no partial rows
  auto check = f.db->begin(TxMode::kRead);
  REQUIRE(check.ok());
  auto loaded = repo.load(*check);
  REQUIRE(loaded.ok());
  CHECK(loaded->name == "Main Street Auto");
  CHECK(loaded->slots.hours.size() == 6);
  CHECK(loaded->services.size() == 3);
}

VOXLINE_STORE_TEST_CASE("a call log is written at call start and completed by call id") {
  StorageFixture f;
  CallLogRepository calls(f.clock);
  CustomerRepository customers(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto c = customers.create(*tx, {"Ada", "5551234567", std::nullopt});
  REQUIRE(c.ok());
  CallLog log;
  log.call_id = "CA-1";
  log.from_number = "+15551234567";
  log.to_number = "+15550001111";
  log.started_at = at(0, 9);
  auto started = calls.save(*tx, log);
  REQUIRE_MESSAGE(started.ok(), started.status().to_string());
  CHECK(started->outcome == CallOutcome::kInProgress);
  CHECK_FALSE(started->ended_at.has_value());
  log.customer_id = c->id;
  log.ended_at = at(0, 9, 3);
  log.outcome = CallOutcome::kBooked;
  log.transcript_json = R"([{"role":"user","text":"book me in"}])";
  log.tool_calls = 3;
  log.prompt_tokens = 1200;
  log.completion_tokens = 300;
  auto done = calls.save(*tx, log);
  REQUIRE(done.ok());
  CHECK(done->id == started->id);
  CHECK(done->duration_ms.value() == 3 * 60000);
  CHECK(done->outcome == CallOutcome::kBooked);
  CHECK(done->tool_calls == 3);
  CHECK(done->transcript_json == log.transcript_json);
  REQUIRE(tx->commit().ok());
  CHECK(count_rows(*f.db, "call_logs") == 1);
}

VOXLINE_STORE_TEST_CASE("call logs are listed by customer newest first and by time range") {
  StorageFixture f;
  CallLogRepository calls(f.clock);
  CustomerRepository customers(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  auto c = customers.create(*tx, {"Ada", "5551234567", std::nullopt});
  REQUIRE(c.ok());
  for (int i = 0; i < 3; ++i) {
    CallLog log;
    log.call_id = "CA-" + std::to_string(i);
    log.from_number = "+15551234567";
    log.to_number = "+15550001111";
    log.customer_id = c->id;
    log.started_at = at(i, 9);
    REQUIRE(calls.save(*tx, log).ok());
  }
  auto mine = calls.list_for_customer(*tx, c->id, 2);
  REQUIRE(mine.ok());
  REQUIRE(mine->size() == 2);
  CHECK((*mine)[0].call_id == "CA-2");
  auto range = calls.list_in_range(*tx, at(0, 0), at(2, 0));
  REQUIRE(range.ok());
  REQUIRE(range->size() == 2);
  CHECK((*range)[0].call_id == "CA-0");
}

VOXLINE_STORE_TEST_CASE("invalid call logs are refused and credentials in the error text are redacted") {
  StorageFixture f;
  CallLogRepository calls(f.clock);
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  CallLog log;
  log.call_id = "CA-9";
  log.from_number = "anonymous";
  log.to_number = "+15550001111";
  log.started_at = at(0, 9);
  CallLog bad = log;
  bad.transcript_json = "[{\"role\":";
  CHECK(calls.save(*tx, bad).status().message().find("not valid JSON") != std::string::npos);
  bad = log;
  bad.ended_at = at(0, 8);
  CHECK(calls.save(*tx, bad).status().code() == StatusCode::kInvalidArgument);
  bad = log;
  bad.call_id = "";
  CHECK(calls.save(*tx, bad).status().code() == StatusCode::kInvalidArgument);
  bad = log;
  bad.tool_calls = -1;
  CHECK(calls.save(*tx, bad).status().code() == StatusCode::kInvalidArgument);
  bad = log;
  bad.customer_id = 42;
  CHECK(calls.save(*tx, bad).status().code() == StatusCode::kNotFound);
  log.outcome = CallOutcome::kFailed;
  log.error = "LLM request failed: Authorization: Bearer sk-abcdefghijklmnopqrstuvwxyz0123";
  auto saved = calls.save(*tx, log);
  REQUIRE(saved.ok());
  REQUIRE(saved->error.has_value());
  CHECK(saved->error->find("sk-abcdefghijklmnop") == std::string::npos);
  CHECK(calls.get_by_call_id(*tx, "nope").status().code() == StatusCode::kNotFound);
  CallLog unset;
  unset.call_id = "CA-10";
  unset.from_number = "+15551234567";
  unset.to_number = "+15550001111";
  auto now = calls.save(*tx, unset);
  REQUIRE(now.ok());
  CHECK(now->started_at == f.clock.wall_now());
}
