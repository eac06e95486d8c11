// Crash safety: a writer process killed with SIGKILL mid-loop leaves a sound file holding every
// committed registration whole and no partial one.
#include <doctest/doctest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "support/temp_dir.hpp"
#include "voxline/storage/schema.hpp"

extern char **environ;

using namespace voxline;

namespace {

std::vector<int64_t> read_ids(const std::string &path) {
  std::vector<int64_t> ids;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty()) ids.push_back(std::stoll(line));  // a torn last line cannot happen: one write per line
  }
  return ids;
}

pid_t spawn_writer(const std::string &db, const std::string &report, int round) {
  std::string exe = VOXLINE_STORAGE_CRASH_WRITER;
  std::string r = std::to_string(round);
  char *argv[] = {exe.data(), const_cast<char *>(db.c_str()), const_cast<char *>(report.c_str()), r.data(),
                  nullptr};
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv, environ) == 0);
  return pid;
}

}  // namespace

TEST_CASE("a writer killed with SIGKILL loses no committed row and leaves no partial one") {
  voxline::testing::TempDir dir("voxline-crash");
  REQUIRE(dir.ok());
  const std::string db_path = dir.file("crash.db");
  {
    SqliteOptions o;
    o.path = db_path;
    REQUIRE(open_service_desk_sqlite(o).ok());  // schema in place before the writers start
  }
  std::mt19937 rng(12345);
  size_t total_reported = 0;
  for (int round = 0; round < 3; ++round) {
    const std::string report = dir.file("report-" + std::to_string(round) + ".txt");
    pid_t pid = spawn_writer(db_path, report, round);
    // Let it commit a while, then kill it at an arbitrary moment.
    const size_t want = 15 + rng() % 20;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int status = 0;
    bool exited_early = false;
    while (read_ids(report).size() < want && std::chrono::steady_clock::now() < give_up) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        exited_early = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    REQUIRE_MESSAGE(!exited_early, "writer exited on its own with status " << status);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    REQUIRE(kill(pid, SIGKILL) == 0);
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);

    const std::vector<int64_t> ids = read_ids(report);
    REQUIRE(ids.size() >= want);
    total_reported += ids.size();

    MetricsRegistry metrics;
    SqliteOptions o;
    o.path = db_path;
    o.database.metrics = &metrics;
    auto db = open_service_desk_sqlite(o);
    REQUIRE_MESSAGE(db.ok(), db.status().to_string());
    HealthCheck health = (*db)->health_check();
    CHECK_MESSAGE(health.ok, health.detail);
    auto tx = (*db)->begin(TxMode::kRead);
    REQUIRE(tx.ok());
    for (int64_t id : ids) {
      auto row = tx->query_row(
          "SELECT (SELECT count(*) FROM vehicles WHERE customer_id = c.id) AS vehicles, "
          "(SELECT count(*) FROM call_logs WHERE customer_id = c.id) AS calls FROM customers c WHERE c.id = "
          "?",
          {id});
      REQUIRE(row.ok());
      REQUIRE_MESSAGE(row->has_value(), "committed customer " << id << " is missing");
      CHECK((*row)->get_int64("vehicles").value() == 2);
      CHECK((*row)->get_int64("calls").value() == 1);
    }
    // No partial registration anywhere: every customer has both vehicles and its call log.
    auto partial = tx->query_row(
        "SELECT count(*) AS n FROM customers c WHERE (SELECT count(*) FROM vehicles WHERE customer_id = "
        "c.id) <> 2 "
        "OR (SELECT count(*) FROM call_logs WHERE customer_id = c.id) <> 1");
    REQUIRE(partial.ok());
    CHECK((*partial)->get_int64("n").value() == 0);
    // At most one registration committed but not yet reported when the kill came.
    auto in_db = tx->query_row("SELECT count(*) AS n FROM customers WHERE name LIKE ?",
                               {"crash " + std::to_string(round) + " %"});
    REQUIRE(in_db.ok());
    const int64_t n = (*in_db)->get_int64("n").value();
    CHECK(n >= static_cast<int64_t>(ids.size()));
    CHECK(n <= static_cast<int64_t>(ids.size()) + 1);
  }
  CHECK(total_reported >= 45);
}
