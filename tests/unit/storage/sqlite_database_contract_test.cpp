// The Database contract (database_contract.hpp) on SqliteDatabase, on a fresh file per case.
#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "unit/storage/database_contract.hpp"
#include "voxline/storage/sqlite_database.hpp"

namespace voxline::testing {
namespace {

class SqliteDbHarness final : public DbHarness {
 public:
  SqliteDbHarness() {
    REQUIRE(dir_.ok());
    db_ = open(4, metrics_);
  }
  Database &db() override { return *db_; }
  MetricsRegistry &metrics() override { return metrics_; }
  const char *backend() const override { return "sqlite"; }
  std::unique_ptr<Database> open_another(size_t pool_size, MetricsRegistry &m) override {
    return open(pool_size, m);
  }
  void reopen() override {
    db_.reset();
    db_ = open(4, metrics_);
  }
  std::string slow_query() const override {
    return "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";
  }
  std::string generated_id() const override { return "INTEGER PRIMARY KEY"; }
  std::string blob_type() const override { return "BLOB"; }

 private:
  std::unique_ptr<Database> open(size_t pool, MetricsRegistry &m) {
    SqliteOptions o;
    o.path = dir_.file("contract.db");
    o.database.pool_size = pool;
    o.database.metrics = &m;
    auto r = open_sqlite_database(o);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    return std::move(r).value();
  }
  TempDir dir_{"voxline-db-contract"};
  MetricsRegistry metrics_;
  std::unique_ptr<Database> db_;
};

struct SqliteDbFactory {
  static std::unique_ptr<DbHarness> make() { return std::make_unique<SqliteDbHarness>(); }
};

#define X(fn, name)                                     \
  TEST_CASE("sqlite contract: " name) {                 \
    run_db_contract<SqliteDbFactory>(&db_contract::fn); \
  }
VOXLINE_DATABASE_CONTRACT_CASES(X)
#undef X

}  // namespace
}  // namespace voxline::testing
