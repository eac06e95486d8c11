// Eight threads on two independent pools (as two processes would have) book random, heavily
// overlapping slots: the database must refuse every double booking and keep every accepted one.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <mutex>
#include <random>
#include <thread>

#include "integration/storage/booking_race_support.hpp"
#include "unit/storage/storage_fixture.hpp"
#include "voxline/storage/appointment_repository.hpp"
#include "voxline/storage/customer_repository.hpp"

using namespace voxline;
using voxline::testing::at;
using voxline::testing::Attempt;
using voxline::testing::overlaps;

namespace {

// Commits `n` customers ("<name>0".., phones "<phone_prefix>0"..) and returns their ids.
std::vector<int64_t> create_racers(voxline::testing::StorageFixture &f, int n, const std::string &name,
                                   const std::string &phone_prefix) {
  std::vector<int64_t> ids;
  auto tx = f.db->begin();
  REQUIRE(tx.ok());
  CustomerRepository customers(f.clock);
  for (int i = 0; i < n; ++i) {
    auto c =
        customers.create(*tx, {name + std::to_string(i), phone_prefix + std::to_string(i), std::nullopt});
    REQUIRE(c.ok());
    ids.push_back(c->id);
  }
  REQUIRE(tx->commit().ok());
  return ids;
}

}  // namespace

TEST_CASE(
    "8 threads booking overlapping slots: every double booking is refused, every accepted one is stored") {
  voxline::testing::StorageFixture f;
  MetricsRegistry second_metrics;
  SqliteOptions o;
  o.path = f.dir.file("shop.db");
  o.database.metrics = &second_metrics;
  o.database.pool_size = 4;
  o.busy_timeout = std::chrono::seconds(30);  // contention must end in CONFLICT or success, never TIMEOUT
  auto second = open_service_desk_sqlite(o);
  REQUIRE(second.ok());

  constexpr int kThreads = 8;
  constexpr int kAttemptsPerThread = 30;
  const std::vector<int64_t> customer_ids = create_racers(f, kThreads, "Racer ", "+1555234000");
  const ShopConfig shop = voxline::testing::test_shop_config();

  std::vector<std::vector<Attempt>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Database &db = t % 2 == 0 ? *f.db : **second;
      AppointmentRepository repo(f.clock);
      std::mt19937 rng(1000 + t);
      for (int i = 0; i < kAttemptsPerThread; ++i) {
        Attempt a;
        a.customer = customer_ids[t];
        const ServiceType &s = shop.services[rng() % shop.services.size()];
        a.service = s.code;
        a.bay = 1 + static_cast<int>(rng() % 2);  // 2 of the 3 bays: dense contention
        // Monday or Tuesday, 08:00 .. 15:30 on the 30-minute grid; every service fits before 17:00.
        a.start =
            at(static_cast<int>(rng() % 2), 8) + std::chrono::minutes(30 * static_cast<int>(rng() % 16));
        a.end = a.start + std::chrono::minutes(s.duration_minutes);
        auto tx = db.begin(TxMode::kWrite, Deadline::after(std::chrono::seconds(60)));
        if (!tx.ok()) {
          a.status = tx.status();
        } else {
          auto booked = repo.book(*tx, {a.customer, std::nullopt, a.service, a.bay, a.start, std::nullopt});
          a.status = booked.ok() ? tx->commit() : booked.status();
          if (a.status.ok()) a.id = booked->id;
        }
        results[t].push_back(std::move(a));
      }
    });
  }
  for (auto &th : threads) th.join();

  std::vector<Attempt> accepted;
  std::vector<Attempt> refused;
  for (const auto &per_thread : results) {
    for (const Attempt &a : per_thread) {
      if (a.status.ok()) {
        accepted.push_back(a);
      } else {
        REQUIRE_MESSAGE(a.status.code() == StatusCode::kConflict, a.status.to_string());
        refused.push_back(a);
      }
    }
  }
  REQUIRE(accepted.size() + refused.size() == kThreads * kAttemptsPerThread);
  CHECK(!accepted.empty());
  CHECK(!refused.empty());
  // No double booking among the accepted ones.
  for (size_t i = 0; i < accepted.size(); ++i) {
    for (size_t j = i + 1; j < accepted.size(); ++j) {
      CHECK_FALSE_MESSAGE(overlaps(accepted[i], accepted[j]),
                          "appointments " << accepted[i].id << " and " << accepted[j].id << " overlap");
    }
  }
  // Every refusal was justified: nothing is ever cancelled here, so the blocker is an accepted one.
  for (const Attempt &r : refused) {
    bool blocked = false;
    for (const Attempt &a : accepted) blocked = blocked || overlaps(a, r);
    CHECK_MESSAGE(blocked,
                  "refused bay " << r.bay << " at " << to_unix_ms(r.start) << " with no overlapping booking");
  }
  // Every accepted booking is stored as it was accepted, and nothing else is.
  auto tx = f.db->begin(TxMode::kRead);
  REQUIRE(tx.ok());
  AppointmentRepository repo(f.clock);
  for (const Attempt &a : accepted) {
    auto stored = repo.get(*tx, a.id);
    REQUIRE(stored.ok());
    CHECK(stored->bay == a.bay);
    CHECK(stored->start == a.start);
    CHECK(stored->end == a.end);
    CHECK(stored->status == AppointmentStatus::kScheduled);
  }
  auto count = tx->query_row("SELECT count(*) AS n FROM appointments");
  REQUIRE(count.ok());
  CHECK((*count)->get_int64("n").value() == static_cast<int64_t>(accepted.size()));
  MESSAGE(
      "accepted ", accepted.size(), ", refused ", refused.size(), ", busy retries ",
      f.metrics.counter("voxline_storage_busy_retries_total", "", {{"backend", "sqlite"}}).value() +
          second_metrics.counter("voxline_storage_busy_retries_total", "", {{"backend", "sqlite"}}).value());
}

TEST_CASE(
    "4 processes booking overlapping slots: every double booking is refused, every accepted one is stored") {
  voxline::testing::StorageFixture f;
  constexpr int kProcesses = 4;
  constexpr int kAttempts = 25;
  const std::vector<int64_t> customer_ids = create_racers(f, kProcesses, "Process ", "+1555345000");
  std::vector<pid_t> pids;
  std::vector<std::string> reports;
  for (int p = 0; p < kProcesses; ++p) {
    reports.push_back(f.dir.file("worker-" + std::to_string(p) + ".txt"));
    pids.push_back(
        voxline::testing::spawn_worker({VOXLINE_STORAGE_BOOKING_WORKER, f.dir.file("shop.db"), reports.back(),
                                        std::to_string(customer_ids[static_cast<size_t>(p)]),
                                        std::to_string(77 + p), std::to_string(kAttempts)}));
  }
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
  }
  std::vector<Attempt> accepted;
  std::vector<Attempt> refused;
  for (const std::string &path : reports) {
    voxline::testing::WorkerReport r = voxline::testing::read_worker_report(path);
    REQUIRE(r.errors.empty());
    for (const Attempt &a : r.refused) REQUIRE_MESSAGE(a.code == "CONFLICT", a.code);
    accepted.insert(accepted.end(), r.accepted.begin(), r.accepted.end());
    refused.insert(refused.end(), r.refused.begin(), r.refused.end());
  }
  REQUIRE(accepted.size() + refused.size() == kProcesses * kAttempts);
  CHECK(!accepted.empty());
  CHECK(!refused.empty());
  for (size_t i = 0; i < accepted.size(); ++i) {
    for (size_t j = i + 1; j < accepted.size(); ++j) CHECK_FALSE(overlaps(accepted[i], accepted[j]));
  }
  for (const Attempt &r : refused) {
    bool blocked = false;
    for (const Attempt &a : accepted) blocked = blocked || overlaps(a, r);
    CHECK(blocked);
  }
  auto tx = f.db->begin(TxMode::kRead);
  REQUIRE(tx.ok());
  AppointmentRepository repo(f.clock);
  for (const Attempt &a : accepted) {
    auto stored = repo.get(*tx, a.id);
    REQUIRE(stored.ok());
    CHECK(stored->bay == a.bay);
    CHECK(stored->start == a.start);
    CHECK(stored->end == a.end);
  }
  auto count = tx->query_row("SELECT count(*) AS n FROM appointments");
  REQUIRE(count.ok());
  CHECK((*count)->get_int64("n").value() == static_cast<int64_t>(accepted.size()));
}
