// RedisSessionStore under faults, against a real redis-server: killed (refused connects, reset
// sockets), hung (SIGSTOP: nothing answers), never there, and idle connections closed by the
// server. Every failing operation must end with TIMEOUT or UNAVAILABLE within its deadline (plus
// a scheduling margin), and the store must recover by itself, reloading its scripts.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "integration/session_store/redis_harness.hpp"

namespace voxline::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kOpDeadline{300};
constexpr milliseconds kMargin{300};  // scheduling slack on a loaded 2-core machine / sanitizers

Deadline soon() {
  return Deadline::after(seconds(5));
}

uint64_t counter_value(MetricsRegistry &m, const char *name) {
  return m.counter(name, "", {{"backend", "redis"}}).value();
}

struct TimedOutcome {
  StatusCode code;
  std::string text;
  milliseconds elapsed;
};

// Every store operation once, each under a fresh kOpDeadline.
std::vector<std::pair<const char *, std::function<Status(const Deadline &)>>> all_ops(SessionStore &s) {
  return {
      {"get", [&](const Deadline &d) { return s.get_session("CA-f", d).status(); }},
      {"put",
       [&](const Deadline &d) {
         return s.put_session("CA-f", "{}", seconds(30), SessionStore::kAnyVersion, d).status();
       }},
      {"patch",
       [&](const Deadline &d) {
         return s.patch_session("CA-f", "{\"a\":1}", Millis(0), SessionStore::kAnyVersion, d).status();
       }},
      {"delete", [&](const Deadline &d) { return s.delete_session("CA-f", d); }},
      {"hold",
       [&](const Deadline &d) { return s.hold_slot("fault-slot", "CA-f", 1, seconds(30), d).status(); }},
      {"release", [&](const Deadline &d) { return s.release_slot("fault-slot", "CA-f", d); }},
      {"confirm",
       [&](const Deadline &d) { return s.confirm_slot("fault-slot", "CA-f", seconds(60), d).status(); }},
      {"cancel", [&](const Deadline &d) { return s.cancel_booking("fault-slot", d).status(); }},
      {"slot_state", [&](const Deadline &d) { return s.slot_state("fault-slot", d).status(); }},
      {"rate", [&](const Deadline &d) { return s.check_rate("+15550100", 5, seconds(30), d).status(); }},
      {"ping",
       [&](const Deadline &d) {
         // A HealthCheck carries no code: recover it from the detail text.
         HealthCheck h = s.ping(d);
         if (h.ok) return Status::Ok();
         const size_t code_at = h.detail.find(": ") + 2;  // detail: "<url>: <CODE>: <message>"
         return h.detail.compare(code_at, 8, "TIMEOUT:") == 0 ? timeout_error(h.detail)
                                                              : unavailable(h.detail);
       }},
  };
}

TimedOutcome timed(const std::function<Status(const Deadline &)> &op, milliseconds deadline = kOpDeadline) {
  const auto start = Clock::now();
  Status st = op(Deadline::after(deadline));
  return {st.code(), st.to_string(), std::chrono::duration_cast<milliseconds>(Clock::now() - start)};
}

// Runs every operation against the broken server and checks code and time bound.
void expect_all_fail_in_time(SessionStore &s, bool hung) {
  for (auto &entry : all_ops(s)) {
    const std::string name = entry.first;  // clang 14: structured bindings cannot be captured
    auto &op = entry.second;
    const TimedOutcome o = timed(op);
    INFO(name << ": " << o.text << " after " << o.elapsed.count() << " ms");
    if (hung) {
      CHECK(o.code == StatusCode::kTimeout);
    } else {
      CHECK((o.code == StatusCode::kUnavailable || o.code == StatusCode::kTimeout));
    }
    CHECK(o.elapsed <= kOpDeadline + kMargin);
  }
}

// Many threads at once: the pool wait is inside the deadline too.
void expect_concurrent_fail_in_time(SessionStore &s) {
  std::atomic<int> ok{0}, late{0}, wrong_code{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const TimedOutcome o = timed([&](const Deadline &d) {
        return s.hold_slot(fmt::format("conc-{}", t), "CA-f", 1, seconds(30), d).status();
      });
      if (o.code == StatusCode::kOk) ok.fetch_add(1);
      if (o.code != StatusCode::kTimeout && o.code != StatusCode::kUnavailable) wrong_code.fetch_add(1);
      if (o.elapsed > kOpDeadline + kMargin) late.fetch_add(1);
    });
  }
  for (auto &th : threads) th.join();
  CHECK(ok.load() == 0);
  CHECK(wrong_code.load() == 0);
  CHECK(late.load() == 0);
}

// Retries `op` (each try bounded) until it succeeds or `overall` passes.
bool recovers(const std::function<Status(const Deadline &)> &op, milliseconds overall = milliseconds(10000)) {
  const auto until = Clock::now() + overall;
  while (Clock::now() < until) {
    if (op(Deadline::after(milliseconds(500))).ok()) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

void warm_pool(SessionStore &s) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (!s.hold_slot(fmt::format("warm-{}-{}", t, i), "CA-w", 1, seconds(30), soon()).ok())
          failures.fetch_add(1);
        if (!s.put_session(fmt::format("CA-w{}", t), "{}", seconds(30), SessionStore::kAnyVersion, soon())
                 .ok())
          failures.fetch_add(1);
      }
    });
  }
  for (auto &th : threads) th.join();
  REQUIRE(failures.load() == 0);
}

std::unique_ptr<RedisSessionStore> make_store(const RedisServer &server, MetricsRegistry &metrics) {
  auto o = store_options(server, metrics);
  o.backoff_initial = milliseconds(20);
  o.backoff_max = milliseconds(200);
  auto st = RedisSessionStore::create(o);
  REQUIRE_MESSAGE(st.ok(), st.status().to_string());
  return std::move(st).value();
}

TEST_CASE(
    "fault: redis-server killed mid-test fails operations within their deadline, then recovers after restart "
    "with scripts reloaded") {
  if (!redis_tests_can_run()) return;
  RedisServer server;
  REQUIRE(server.start().ok());
  MetricsRegistry metrics;
  auto store = make_store(server, metrics);
  warm_pool(*store);
  REQUIRE(counter_value(metrics, "voxline_session_store_script_reloads_total") == 0);

  server.kill();
  expect_all_fail_in_time(*store, /*hung=*/false);
  expect_concurrent_fail_in_time(*store);
  CHECK(counter_value(metrics, "voxline_session_store_connect_failures_total") > 0);

  REQUIRE(server.start().ok());  // same port, empty script cache, empty data
  CHECK(recovers(
      [&](const Deadline &d) { return store->hold_slot("after", "CA-1", 1, seconds(30), d).status(); }));
  // The client still had the scripts' sha1s: the restarted server said NOSCRIPT and EVAL reloaded them.
  CHECK(counter_value(metrics, "voxline_session_store_script_reloads_total") >= 1);
  CHECK(counter_value(metrics, "voxline_session_store_reconnects_total") >= 1);
  // Fully functional again, every operation.
  REQUIRE(store->put_session("CA-1", R"({"ok":true})", seconds(30), SessionStore::kNewSession, soon()).ok());
  auto doc = store->get_session("CA-1", soon());
  REQUIRE(doc.ok());
  CHECK(doc->json == R"({"ok":true})");
  CHECK(code_of(store->hold_slot("after", "CA-2", 1, seconds(30), soon())) == StatusCode::kConflict);
  REQUIRE(store->confirm_slot("after", "CA-1", seconds(60), soon()).ok());
  REQUIRE(store->check_rate("+15550100", 1, seconds(30), soon()).ok());
  CHECK(store->ping(soon()).ok);
}

TEST_CASE(
    "fault: hung redis-server (SIGSTOP) makes operations time out within their deadline, and they recover "
    "after SIGCONT") {
  if (!redis_tests_can_run()) return;
  RedisServer server;
  REQUIRE(server.start().ok());
  MetricsRegistry metrics;
  auto store = make_store(server, metrics);
  warm_pool(*store);

  server.pause();
  expect_all_fail_in_time(*store, /*hung=*/true);
  expect_concurrent_fail_in_time(*store);
  CHECK(counter_value(metrics, "voxline_session_store_timeouts_total") >= 11);
  server.resume();

  CHECK(recovers(
      [&](const Deadline &d) { return store->hold_slot("after-hang", "CA-1", 1, seconds(30), d).status(); }));
  REQUIRE(store->put_session("CA-2", "{}", seconds(30), SessionStore::kNewSession, soon()).ok());
  CHECK(store->ping(soon()).ok);
  // Timed-out connections were replaced, never reused half-read.
  CHECK(counter_value(metrics, "voxline_session_store_reconnects_total") >= 1);
}

int closed_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Needs no redis-server: it runs everywhere, CI or not.
TEST_CASE(
    "fault: with nothing listening every operation is UNAVAILABLE within its deadline and connects back "
    "off") {
  MetricsRegistry metrics;
  RedisSessionStoreOptions o;
  o.url = fmt::format("redis://127.0.0.1:{}/0", closed_loopback_port());
  o.metrics = &metrics;
  o.backoff_initial = milliseconds(50);
  o.backoff_max = milliseconds(1000);
  auto store = RedisSessionStore::create(o);
  REQUIRE(store.ok());
  int failed = 0;
  for (int i = 0; i < 3; ++i) {
    for (auto &entry : all_ops(**store)) {
      const std::string name = entry.first;
      auto &op = entry.second;
      const TimedOutcome out = timed(op, milliseconds(100));
      INFO(name << ": " << out.text);
      CHECK(out.code == StatusCode::kUnavailable);
      CHECK(out.elapsed <= milliseconds(100) + kMargin);
      CHECK(out.text.find("127.0.0.1") != std::string::npos);
      ++failed;
    }
  }
  CHECK(failed == 33);
  // Backoff: 33 failed operations made only a handful of connection attempts.
  const uint64_t attempts = counter_value(metrics, "voxline_session_store_connect_failures_total");
  CHECK(attempts >= 1);
  CHECK(attempts <= 8);
}

TEST_CASE("fault: idle pooled connections closed by the server are replaced without surfacing an error") {
  if (!redis_tests_can_run()) return;
  RedisServer server;
  REQUIRE(server.start().ok());
  MetricsRegistry metrics;
  auto store = make_store(server, metrics);
  warm_pool(*store);
  auto killed = server.command({"CLIENT", "KILL", "TYPE", "normal"});
  REQUIRE(killed.ok());
  CHECK(std::stoi(*killed) >= 2);
  std::this_thread::sleep_for(milliseconds(50));
  for (int i = 0; i < 20; ++i) {
    auto r = store->hold_slot(fmt::format("idle-{}", i), "CA-1", 1, seconds(30), soon());
    CHECK_MESSAGE(r.ok(), r.status().to_string());
  }
  CHECK(counter_value(metrics, "voxline_session_store_reconnects_total") >= 1);
}

}  // namespace
}  // namespace voxline::testing
