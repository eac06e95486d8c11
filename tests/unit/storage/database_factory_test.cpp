// make_database / parse_database_url: the URL's scheme picks the backend; bad URLs are
// INVALID_ARGUMENT naming only the scheme. (PostgreSQL opened through the factory:
// tests/integration/storage/database_factory_test.cpp.)
#include "voxline/storage/database_factory.hpp"

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/storage/schema.hpp"

namespace voxline {
namespace {

TEST_CASE("parse_database_url: sqlite: URLs give the file path, absolute or relative") {
  struct Case {
    const char *url;
    const char *path;
  };
  for (const Case &c :
       {Case{"sqlite:///var/lib/shop/voxline.db", "/var/lib/shop/voxline.db"},
        Case{"sqlite://voxline.db", "voxline.db"}, Case{"sqlite:data/shop.db", "data/shop.db"},
        Case{"SQLite:///tmp/x.db", "/tmp/x.db"}}) {
    auto u = parse_database_url(c.url);
    REQUIRE_MESSAGE(u.ok(), c.url << ": " << u.status().to_string());
    CHECK(u->dialect == Dialect::kSqlite);
    CHECK(u->sqlite_path == c.path);
    CHECK(u->postgres_url.empty());
  }
}

TEST_CASE("parse_database_url: postgresql:// and postgres:// go to libpq with the scheme in lower case") {
  auto u = parse_database_url("postgresql://app:pw@db.internal:5432/shop?sslmode=require");
  REQUIRE(u.ok());
  CHECK(u->dialect == Dialect::kPostgres);
  CHECK(u->postgres_url == "postgresql://app:pw@db.internal:5432/shop?sslmode=require");
  CHECK(u->sqlite_path.empty());
  u = parse_database_url("Postgres://db/Shop");
  REQUIRE(u.ok());
  CHECK(u->dialect == Dialect::kPostgres);
  CHECK(u->postgres_url == "postgres://db/Shop");  // only the scheme is lowered
}

TEST_CASE("parse_database_url: an unknown scheme is INVALID_ARGUMENT naming it and nothing else") {
  auto u = parse_database_url("mysql://app:hunter2-secret@db/shop");
  REQUIRE_FALSE(u.ok());
  CHECK(u.status().code() == StatusCode::kInvalidArgument);
  CHECK(u.status().message().find("'mysql'") != std::string::npos);
  CHECK(u.status().message().find("hunter2-secret") == std::string::npos);
  CHECK(u.status().message().find("db/shop") == std::string::npos);
  for (const char *bad : {"", "/var/lib/shop.db", "voxline.db", "postgresql:/db", "redis://cache/0"}) {
    auto r = parse_database_url(bad);
    CHECK_MESSAGE(r.status().code() == StatusCode::kInvalidArgument, bad);
  }
  CHECK(parse_database_url("/var/lib/shop.db").status().message().find("no scheme") != std::string::npos);
}

TEST_CASE("parse_database_url: sqlite::memory:, a missing path and a query are refused with the reason") {
  for (const char *memory : {"sqlite::memory:", "sqlite://:memory:"}) {
    auto r = parse_database_url(memory);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().find("own empty database") != std::string::npos);
  }
  for (const char *empty : {"sqlite:", "sqlite://"}) {
    auto r = parse_database_url(empty);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().find("names no file") != std::string::npos);
  }
  auto q = parse_database_url("sqlite:///tmp/x.db?mode=ro");
  CHECK(q.status().code() == StatusCode::kInvalidArgument);
  CHECK(q.status().message().find("query") != std::string::npos);
}

TEST_CASE("make_database opens a SQLite file named by sqlite:/// with the options given") {
  testing::TempDir dir("voxline-db-factory");
  REQUIRE(dir.ok());
  MetricsRegistry metrics;
  DatabaseOptions o;
  o.pool_size = 2;
  o.metrics = &metrics;
  auto db = make_database("sqlite://" + dir.file("shop.db"), o);  // an absolute path: three slashes
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  CHECK((*db)->dialect() == Dialect::kSqlite);
  CHECK((*db)->options().pool_size == 2);
  REQUIRE((*db)->migrate(service_desk_migrations(Dialect::kSqlite).value()).ok());
  CHECK((*db)->schema_version().value() == service_desk_schema_version());
  CHECK(metrics.counter("voxline_storage_commits_total", "", {{"backend", "sqlite"}}).value() >= 1);
  // The same file, opened again by URL, keeps what was migrated.
  db->reset();
  auto again = make_database("sqlite://" + dir.file("shop.db"), o);
  REQUIRE(again.ok());
  CHECK((*again)->schema_version().value() == service_desk_schema_version());
}

TEST_CASE("make_database returns the parse error, or the backend's, as a Status") {
  auto bad = make_database("mongodb://u:pw-secret@x/db");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
  CHECK(bad.status().message().find("'mongodb'") != std::string::npos);
  CHECK(make_database("sqlite::memory:").status().code() == StatusCode::kInvalidArgument);
  // A directory that does not exist: the SQLite backend's own error comes back.
  auto missing = make_database("sqlite:///nonexistent-voxline-dir/sub/shop.db");
  REQUIRE_FALSE(missing.ok());
  CHECK_MESSAGE(missing.status().code() == StatusCode::kUnavailable, missing.status().to_string());
  CHECK(missing.status().message().find("sqlite") != std::string::npos);
}

TEST_CASE("database_url: Config's database.url wins, else SQLite at storage.sqlite_path") {
  Config cfg;
  CHECK(database_url(cfg) == "sqlite://voxline.db");
  CHECK(parse_database_url(database_url(cfg)).value().sqlite_path == "voxline.db");
  cfg.sqlite_path = "/var/lib/shop/voxline.db";
  CHECK(database_url(cfg) == "sqlite:///var/lib/shop/voxline.db");
  CHECK(parse_database_url(database_url(cfg)).value().sqlite_path == "/var/lib/shop/voxline.db");
  REQUIRE(cfg.apply_json(R"({"database":{"url":"postgresql://db/shop"}})").ok());
  CHECK(database_url(cfg) == "postgresql://db/shop");
}

}  // namespace
}  // namespace voxline
