// The SQLite database's health check through a HealthRegistry, on real files: sound, deleted
// while open, replaced, corrupted.
#include <cstdio>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include "support/temp_dir.hpp"
#include "voxline/core/health.hpp"
#include "voxline/storage/sqlite_database.hpp"

namespace voxline {
namespace {

struct OpenDb {
  testing::TempDir dir;
  MetricsRegistry metrics;
  SqliteOptions options;
  std::unique_ptr<Database> db;
  explicit OpenDb(const char *name) {
    REQUIRE(dir.ok());
    options.path = dir.file(name);
    options.database.metrics = &metrics;
    auto opened = open_sqlite_database(options);
    REQUIRE(opened.ok());
    db = std::move(opened).value();
    REQUIRE(
        db->transact([](Transaction &tx) { return tx.execute("CREATE TABLE t (x INTEGER)").status(); }).ok());
  }
};

TEST_CASE("the SQLite check registered by storage is healthy for a sound file") {
  OpenDb t("sound.db");
  HealthRegistry health;
  add_health_check(health, *t.db);
  const HealthReport r = health.run();
  REQUIRE(r.checks().size() == 1);
  CHECK(r.checks()[0].component == "storage.sqlite");
  CHECK_MESSAGE(r.ok(), r.to_text());
  CHECK(r.checks()[0].detail.find("integrity_check: ok") != std::string::npos);
}

// SQLite keeps reading and writing the unlinked inode, and its integrity_check says "ok", while
// the next process to open the path gets a new empty database.
TEST_CASE("a database file deleted while open makes the report unhealthy, naming the path") {
  OpenDb t("deleted.db");
  HealthRegistry health;
  add_health_check(health, *t.db);
  REQUIRE(health.run().ok());
  REQUIRE(std::remove(t.options.path.c_str()) == 0);
  const HealthReport r = health.run();
  CHECK_FALSE(r.ok());
  CHECK(r.checks()[0].detail.find(t.options.path) != std::string::npos);
  CHECK(r.checks()[0].detail.find("deleted") != std::string::npos);
}

TEST_CASE("a database file replaced by another file while open makes the report unhealthy") {
  OpenDb t("replaced.db");
  HealthRegistry health;
  add_health_check(health, *t.db);
  const std::string other = t.dir.file("other.db");
  std::ofstream(other) << "not the same file";
  REQUIRE(std::rename(other.c_str(), t.options.path.c_str()) == 0);
  const HealthReport r = health.run();
  CHECK_FALSE(r.ok());
  CHECK(r.checks()[0].detail.find("replaced") != std::string::npos);
}

TEST_CASE("a corrupted database file makes the report unhealthy with SQLite's finding") {
  testing::TempDir dir;
  REQUIRE(dir.ok());
  MetricsRegistry metrics;
  SqliteOptions o;
  o.path = dir.file("corrupt.db");
  o.database.metrics = &metrics;
  {
    auto db = open_sqlite_database(o);
    REQUIRE(db.ok());
    REQUIRE((*db)
                ->transact([](Transaction &tx) {
                  VOXLINE_RETURN_IF_ERROR(
                      tx.execute("CREATE TABLE t (x INTEGER PRIMARY KEY, s TEXT)").status());
                  VOXLINE_RETURN_IF_ERROR(tx.execute("CREATE INDEX t_s ON t(s)").status());
                  for (int i = 0; i < 2000; ++i)
                    VOXLINE_RETURN_IF_ERROR(
                        tx.execute("INSERT INTO t (x, s) VALUES (?, ?)", {i, "row " + std::to_string(i)})
                            .status());
                  return Status::Ok();
                })
                .ok());
  }  // the last connection checkpoints the WAL into the main file
  {
    std::fstream f(o.path, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f.good());
    f.seekp(4096 * 5 + 100);
    const std::string junk(3000, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto db = open_sqlite_database(o);
  REQUIRE(db.ok());  // the header page is intact, so the file opens
  HealthRegistry health;
  add_health_check(health, **db);
  const HealthReport r = health.run();
  CHECK_FALSE(r.ok());
  CHECK(r.checks()[0].detail.find("integrity_check: ok") == std::string::npos);
  CHECK(r.to_text().find("FAIL  storage.sqlite") != std::string::npos);
}

TEST_CASE("Config's storage.sqlite_path reaches SqliteOptions with the other fields at their defaults") {
  Config cfg;
  REQUIRE(cfg.apply_json(R"({"storage":{"sqlite_path":"/var/lib/shop/voxline.db"}})").ok());
  const SqliteOptions o = sqlite_options(cfg);
  CHECK(o.path == "/var/lib/shop/voxline.db");
  CHECK(o.busy_timeout == defaults::kSqliteBusyTimeout);
  CHECK(o.database.default_timeout == defaults::kDatabaseTimeout);
}

}  // namespace
}  // namespace voxline
