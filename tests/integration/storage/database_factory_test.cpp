// make_database against both backends: a sqlite:/// file and a postgresql:// database on the shared
// test server open, migrate the service-desk schema where the dialect has one, and run the same
// statements; a postgres:// URL naming a missing database returns the backend's NOT_FOUND.
#include "voxline/storage/database_factory.hpp"

#include <doctest/doctest.h>

#include "integration/storage/pg_harness.hpp"
#include "support/temp_dir.hpp"

namespace voxline::testing {
namespace {

using db_contract::exec;
using db_contract::scalar;

// The same portable statements on whichever backend `db` is.
void round_trip(Database &db) {
  exec(db, "CREATE TABLE factory_probe (x INTEGER, s TEXT)");
  exec(db, "INSERT INTO factory_probe (x, s) VALUES (?, ?)", {41, "forty-one"});
  CHECK(scalar(db, "SELECT x + 1 AS n FROM factory_probe WHERE s = ?", {"forty-one"}) == 42);
}

TEST_CASE(
    "make_database opens SQLite for sqlite:/// and PostgreSQL for postgresql:// with the options given") {
  TempDir dir("voxline-db-factory");
  REQUIRE(dir.ok());
  MetricsRegistry metrics;
  DatabaseOptions o;
  o.pool_size = 3;
  o.metrics = &metrics;
  auto lite = make_database("sqlite://" + dir.file("shop.db"), o);
  REQUIRE_MESSAGE(lite.ok(), lite.status().to_string());
  CHECK((*lite)->dialect() == Dialect::kSqlite);
  round_trip(**lite);

  PostgresServer *pg = pg_server_or_skip();
  if (pg == nullptr) return;
  PgTestDatabase database(*pg, "factory");
  REQUIRE_MESSAGE(database.status().ok(), database.status().to_string());
  for (const std::string &url : {database.url(), "postgres://" + database.url().substr(13)}) {
    auto db = make_database(url, o);
    REQUIRE_MESSAGE(db.ok(), redact_postgres_url(url) << ": " << db.status().to_string());
    CHECK((*db)->dialect() == Dialect::kPostgres);
    CHECK((*db)->options().pool_size == 3);
    if (url == database.url()) round_trip(**db);
    CHECK(scalar(**db, "SELECT count(*) AS n FROM factory_probe") == 1);
    CHECK(metrics.counter("voxline_storage_commits_total", "", {{"backend", "postgres"}}).value() >= 2);
  }
}

TEST_CASE("make_database hands back the PostgreSQL backend's errors: a missing database is NOT_FOUND") {
  PostgresServer *pg = pg_server_or_skip();
  if (pg == nullptr) return;
  auto missing = make_database(pg->url("no_such_database"));
  REQUIRE_FALSE(missing.ok());
  CHECK_MESSAGE(missing.status().code() == StatusCode::kNotFound, missing.status().to_string());
}

}  // namespace
}  // namespace voxline::testing
