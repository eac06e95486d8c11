// Migrations recorded in PRAGMA user_version: idempotent, atomic, newer files refused.
#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "voxline/storage/schema.hpp"

using namespace voxline;

namespace {

SqliteOptions options_for(const voxline::testing::TempDir &dir, MetricsRegistry &m) {
  SqliteOptions o;
  o.path = dir.file("m.db");
  o.database.metrics = &m;
  return o;
}

}  // namespace

TEST_CASE("migrating twice is a no-op and records the schema version in user_version") {
  voxline::testing::TempDir dir;
  MetricsRegistry m;
  auto db = open_service_desk_sqlite(options_for(dir, m));
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  CHECK((*db)->schema_version().value() == service_desk_schema_version());
  auto again = service_desk_migrations(Dialect::kSqlite);
  REQUIRE(again.ok());
  CHECK((*db)->migrate(*again).ok());
  db->reset();
  auto reopened = open_service_desk_sqlite(options_for(dir, m));  // a restart migrates again: no-op
  REQUIRE(reopened.ok());
  CHECK((*reopened)->schema_version().value() == service_desk_schema_version());
  CHECK((*reopened)->health_check().ok);
}

TEST_CASE("a database from a newer schema version is refused naming both versions") {
  voxline::testing::TempDir dir;
  MetricsRegistry m;
  {
    auto db = open_sqlite_database(options_for(dir, m));
    REQUIRE(db.ok());
    auto tx = (*db)->begin();
    REQUIRE(tx.ok());
    REQUIRE(tx->execute("PRAGMA user_version = 42").ok());
    REQUIRE(tx->commit().ok());
  }
  auto db = open_service_desk_sqlite(options_for(dir, m));
  REQUIRE_FALSE(db.ok());
  CHECK(db.status().code() == StatusCode::kFailedPrecondition);
  CHECK(db.status().message().find("schema version 42") != std::string::npos);
  CHECK(db.status().message().find("version " + std::to_string(service_desk_schema_version()) +
                                   " that this build") != std::string::npos);
}

TEST_CASE("a failing migration rolls back completely and keeps the previous version") {
  voxline::testing::TempDir dir;
  MetricsRegistry m;
  auto db = open_sqlite_database(options_for(dir, m));
  REQUIRE(db.ok());
  std::vector<Migration> ms = {{1, "one", {"CREATE TABLE a (x INTEGER)"}},
                               {2, "two", {"CREATE TABLE b (x INTEGER)", "CREATE TABLE a (x INTEGER)"}}};
  Status s = (*db)->migrate(ms);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("migration 2 'two'") != std::string::npos);
  CHECK((*db)->schema_version().value() == 0);  // all in one transaction: even v1 is undone
  ms.pop_back();
  REQUIRE((*db)->migrate(ms).ok());
  CHECK((*db)->schema_version().value() == 1);
  auto tx = (*db)->begin(TxMode::kRead);
  REQUIRE(tx.ok());
  CHECK(tx->query("SELECT name FROM sqlite_master WHERE name = 'b'")->empty());
}

TEST_CASE("migration lists with gaps or no entries are refused") {
  voxline::testing::TempDir dir;
  MetricsRegistry m;
  auto db = open_sqlite_database(options_for(dir, m));
  REQUIRE(db.ok());
  CHECK((*db)->migrate({}).code() == StatusCode::kInvalidArgument);
  CHECK((*db)->migrate({{2, "two", {"SELECT 1"}}}).code() == StatusCode::kInvalidArgument);
  CHECK(service_desk_migrations(Dialect::kPostgres).ok());
}
