// RedisSessionStore behaviour beyond the shared contract, against a real redis-server: URL
// credentials and db, key layout, script caching (SCRIPT LOAD once, EVALSHA, EVAL after
// SCRIPT FLUSH), the bounded pool, and several stores (processes) sharing slots.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "integration/session_store/redis_harness.hpp"

namespace voxline::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Deadline soon() {
  return Deadline::after(seconds(5));
}

// "calls=" of one command in INFO commandstats (0 when the command never ran).
long command_calls(const RedisServer &server, const std::string &stat) {
  auto info = server.command({"INFO", "commandstats"});
  REQUIRE_MESSAGE(info.ok(), info.status().to_string());
  std::istringstream in(*info);
  std::string line;
  const std::string key = "cmdstat_" + stat + ":calls=";
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
  }
  return 0;
}

uint64_t counter_value(MetricsRegistry &m, const char *name) {
  return m.counter(name, "", {{"backend", "redis"}}).value();
}

struct Started {
  RedisServer server;
  MetricsRegistry metrics;
  std::unique_ptr<RedisSessionStore> store;
  bool ok = false;
  explicit Started(std::string password = {}, size_t pool = 4) : server(std::move(password)) {
    if (!redis_tests_can_run()) return;
    Status s = server.start();
    REQUIRE_MESSAGE(s.ok(), s.to_string());
    auto o = store_options(server, metrics);
    o.pool_size = pool;
    auto created = RedisSessionStore::create(o);
    REQUIRE_MESSAGE(created.ok(), created.status().to_string());
    store = std::move(created).value();
    ok = true;
  }
};

TEST_CASE("redis store authenticates with the URL password and uses the URL database") {
  if (!redis_tests_can_run()) return;
  RedisServer server("Pw-7f3a9c");
  REQUIRE(server.start().ok());
  MetricsRegistry metrics;
  auto o = store_options(server, metrics);
  o.url = server.url(2);
  auto store = RedisSessionStore::create(o);
  REQUIRE(store.ok());
  CHECK((*store)->redacted_url().find("Pw-7f3a9c") == std::string::npos);
  REQUIRE((*store)->put_session("CA-1", R"({"a":1})", seconds(30), SessionStore::kNewSession, soon()).ok());
  CHECK((*store)->ping(soon()).ok);
  auto keys_db2 = server.command({"KEYS", "*"}, 2);
  REQUIRE(keys_db2.ok());
  CHECK(*keys_db2 == "vxtest:{s:CA-1}");
  auto keys_db0 = server.command({"KEYS", "*"}, 0);
  REQUIRE(keys_db0.ok());
  CHECK(keys_db0->empty());

  // A wrong password and a missing one are both UNAUTHENTICATED, and never echoed.
  o.url = fmt::format("redis://:wrong-pass@127.0.0.1:{}/0", server.port());
  auto wrong = RedisSessionStore::create(o);
  REQUIRE(wrong.ok());
  auto r = (*wrong)->get_session("CA-1", soon());
  CHECK(r.status().code() == StatusCode::kUnauthenticated);
  CHECK(r.status().message().find("wrong-pass") == std::string::npos);
  HealthCheck h = (*wrong)->ping(soon());
  CHECK_FALSE(h.ok);
  CHECK(h.detail.find("wrong-pass") == std::string::npos);
  o.url = fmt::format("redis://127.0.0.1:{}/0", server.port());
  auto none = RedisSessionStore::create(o);
  REQUIRE(none.ok());
  CHECK((*none)->get_session("CA-1", soon()).status().code() == StatusCode::kUnauthenticated);
}

TEST_CASE("redis keys live under the prefix with one hash tag per session, slot and caller") {
  Started s;
  if (!s.ok) return;
  REQUIRE(s.store->put_session("CA-1", "{}", seconds(30), SessionStore::kAnyVersion, soon()).ok());
  REQUIRE(s.store->hold_slot("bay-1/09:00", "CA-1", 1, seconds(30), soon()).ok());
  REQUIRE(s.store->confirm_slot("bay-1/09:00", "CA-1", seconds(60), soon()).ok());
  REQUIRE(s.store->hold_slot("bay-1/09:00", "CA-2", 2, seconds(30), soon()).ok());
  REQUIRE(s.store->check_rate("+15550100", 5, seconds(30), soon()).ok());
  auto keys = s.server.command({"KEYS", "*"});
  REQUIRE(keys.ok());
  std::vector<std::string> got;
  std::istringstream in(*keys);
  for (std::string k; std::getline(in, k);) got.push_back(k);
  std::sort(got.begin(), got.end());
  const std::vector<std::string> want = {"vxtest:{rate:+15550100}:log", "vxtest:{rate:+15550100}:seq",
                                         "vxtest:{s:CA-1}", "vxtest:{slot:bay-1/09:00}:booked",
                                         "vxtest:{slot:bay-1/09:00}:holds"};
  CHECK(got == want);
  // Every key carries a TTL, so abandoned calls leave nothing behind.
  for (const auto &k : got) {
    auto ttl = s.server.command({"PTTL", k});
    REQUIRE(ttl.ok());
    CHECK_MESSAGE(std::stol(*ttl) > 0, k);
  }

  // Another prefix on the same server is another namespace.
  auto o = store_options(s.server, s.metrics);
  o.key_prefix = "other";
  auto other = RedisSessionStore::create(o);
  REQUIRE(other.ok());
  CHECK((*other)->get_session("CA-1", soon()).status().code() == StatusCode::kNotFound);
  REQUIRE((*other)->hold_slot("bay-1/09:00", "CA-3", 1, seconds(30), soon()).ok());
}

TEST_CASE("redis scripts are loaded once and then run by EVALSHA") {
  Started s;
  if (!s.ok) return;
  for (int i = 0; i < 40; ++i) {
    REQUIRE(s.store
                ->put_session("CA-1", fmt::format(R"({{"i":{}}})", i), seconds(30), SessionStore::kAnyVersion,
                              soon())
                .ok());
    REQUIRE(s.store->get_session("CA-1", soon()).ok());
    REQUIRE(s.store->hold_slot(fmt::format("slot-{}", i), "CA-1", 1, seconds(30), soon()).ok());
  }
  CHECK(command_calls(s.server, "script|load") == 3);  // get, put, hold: once each
  CHECK(command_calls(s.server, "evalsha") == 120);
  CHECK(command_calls(s.server, "eval") == 0);
  CHECK(counter_value(s.metrics, "voxline_session_store_script_reloads_total") == 0);
}

TEST_CASE("redis SCRIPT FLUSH mid-test is survived: NOSCRIPT falls back to EVAL, then EVALSHA again") {
  Started s;
  if (!s.ok) return;
  REQUIRE(s.store->hold_slot("bay-1", "CA-1", 3, seconds(30), soon()).ok());
  REQUIRE(s.store->put_session("CA-1", "{}", seconds(30), SessionStore::kAnyVersion, soon()).ok());
  REQUIRE(s.server.command({"SCRIPT", "FLUSH"}).ok());
  auto held = s.store->hold_slot("bay-1", "CA-2", 3, seconds(30), soon());
  REQUIRE_MESSAGE(held.ok(), held.status().to_string());
  CHECK(held->state.holds == 2);
  REQUIRE(s.store->put_session("CA-1", "{}", seconds(30), SessionStore::kAnyVersion, soon()).ok());
  CHECK(counter_value(s.metrics, "voxline_session_store_script_reloads_total") == 2);
  CHECK(command_calls(s.server, "eval") == 2);
  // EVAL re-cached the scripts: later calls are EVALSHA hits again.
  const long evalsha_before = command_calls(s.server, "evalsha");
  REQUIRE(s.store->hold_slot("bay-1", "CA-3", 3, seconds(30), soon()).ok());
  CHECK(command_calls(s.server, "evalsha") == evalsha_before + 1);
  CHECK(command_calls(s.server, "eval") == 2);

  // Flushing repeatedly while 8 threads hold and release loses no operation.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, done{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const std::string slot = fmt::format("flush/{}/{}", t, i);
        if (!s.store->hold_slot(slot, "CA-x", 1, seconds(30), soon()).ok()) failures.fetch_add(1);
        if (!s.store->release_slot(slot, "CA-x", soon()).ok()) failures.fetch_add(1);
        done.fetch_add(1);
      }
    });
  }
  std::thread flusher([&] {
    while (!stop.load()) {
      (void)s.server.command({"SCRIPT", "FLUSH"});
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  for (auto &w : workers) w.join();
  stop.store(true);
  flusher.join();
  CHECK(failures.load() == 0);
  CHECK(done.load() == 320);
}

TEST_CASE("redis pool never opens more than pool_size connections and counts waits") {
  Started s("", 3);
  if (!s.ok) return;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 12; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        if (!s.store->check_rate(fmt::format("caller-{}", t), 1000, seconds(30), soon()).ok())
          failures.fetch_add(1);
      }
    });
  }
  for (auto &w : workers) w.join();
  CHECK(failures.load() == 0);
  auto clients = s.server.command({"CLIENT", "LIST"});
  REQUIRE(clients.ok());
  const auto lines = std::count(clients->begin(), clients->end(), '\n');
  CHECK(lines <= 4);  // at most 3 pooled + the fixture's own connection
  CHECK(s.metrics.gauge("voxline_session_store_pool_size", "", {{"backend", "redis"}}).value() <= 3);
  CHECK(s.metrics.gauge("voxline_session_store_pool_in_use", "", {{"backend", "redis"}}).value() == 0);
  // Deterministic contention: with the server hung, 3 calls hold all 3 connections until their
  // deadline, so the other 3 must wait for the pool (and still end by their deadline).
  s.server.pause();
  std::vector<std::thread> blocked;
  for (int t = 0; t < 6; ++t) {
    blocked.emplace_back([&] { (void)s.store->slot_state("any", Deadline::after(milliseconds(400))); });
  }
  for (auto &b : blocked) b.join();
  s.server.resume();
  CHECK(counter_value(s.metrics, "voxline_session_store_pool_waits_total") > 0);
  CHECK(s.store->ping(soon()).ok);
  const std::string text = s.metrics.prometheus_text();
  CHECK(text.find("voxline_session_store_ops_total{backend=\"redis\",op=\"rate\"} 360") != std::string::npos);
}

TEST_CASE("redis slot capacity holds across several stores, as across processes") {
  Started s;
  if (!s.ok) return;
  // Four independent stores (own pools, as four agent processes would have) race for capacity 3.
  std::vector<std::unique_ptr<MetricsRegistry>> registries;  // declared first: outlives the stores
  std::vector<std::unique_ptr<RedisSessionStore>> stores;
  for (int i = 0; i < 4; ++i) {
    registries.push_back(std::make_unique<MetricsRegistry>());
    auto st = RedisSessionStore::create(store_options(s.server, *registries.back()));
    REQUIRE(st.ok());
    stores.push_back(std::move(st).value());
  }
  for (int round = 0; round < 10; ++round) {
    const std::string slot = fmt::format("fleet/{}", round);
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 12; ++t) {
      threads.emplace_back([&, t] {
        auto r = stores[t % 4]->hold_slot(slot, fmt::format("CA-{}", t), 3, seconds(30), soon());
        if (r.ok()) {
          winners.fetch_add(1);
          // Winners book through a different store than the one that held: holds are shared state.
          if (!stores[(t + 1) % 4]->confirm_slot(slot, fmt::format("CA-{}", t), seconds(60), soon()).ok())
            winners.fetch_add(100);
        }
      });
    }
    for (auto &th : threads) th.join();
    CHECK(winners.load() == 3);
    auto st = s.store->slot_state(slot, soon());
    REQUIRE(st.ok());
    CHECK(st->booked == 3);
    CHECK(st->holds == 0);
  }
}

}  // namespace
}  // namespace voxline::testing
