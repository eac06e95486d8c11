// Installs PostgreSQL as the store of the service-desk suite in this binary (storage_fixture.hpp):
// every StorageFixture gets a database of its own on the shared test server, copied from a
// template that was migrated once, so each case starts from the empty schema in milliseconds.
#include <memory>

#include "integration/storage/pg_harness.hpp"
#include "unit/storage/storage_fixture.hpp"

namespace voxline::testing {
namespace {

// The service-desk schema, migrated once per process into a template database (no connection
// stays open on it: CREATE DATABASE ... TEMPLATE needs it idle).
const PgTestDatabase &service_desk_template(PostgresServer &pg) {
  static const std::unique_ptr<PgTestDatabase> tpl = [&pg] {
    auto t = std::make_unique<PgTestDatabase>(pg, "desk_tpl");
    REQUIRE_MESSAGE(t->status().ok(), t->status().to_string());
    MetricsRegistry m;
    std::unique_ptr<Database> db = open_pg(t->url(), m, 1);
    Status s = db->migrate(service_desk_migrations(Dialect::kPostgres).value());
    REQUIRE_MESSAGE(s.ok(), s.to_string());
    return t;
  }();
  return *tpl;
}

[[maybe_unused]] const bool installed = [] {
  StoreBackend &b = store_backend();
  b.available = [] { return pg_server_or_skip() != nullptr; };
  b.open = [](StorageFixture &f, std::shared_ptr<void> &keep) {
    PostgresServer *pg = pg_server_or_skip();
    REQUIRE(pg != nullptr);
    auto database = std::make_shared<PgTestDatabase>(*pg, "desk", service_desk_template(*pg).name());
    REQUIRE_MESSAGE(database->status().ok(), database->status().to_string());
    keep = database;
    return open_pg(database->url(), f.metrics);
  };
  return true;
}();

}  // namespace
}  // namespace voxline::testing
