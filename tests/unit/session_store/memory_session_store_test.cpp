// MemorySessionStore specifics beyond the shared contract: exact TTL arithmetic on a ManualClock,
// bounded memory, and the metrics it reports.
#include <chrono>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "voxline/core/clock.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/storage/memory_session_store.hpp"

namespace voxline {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Fixture {
  ManualClock clock;
  MetricsRegistry metrics;
  MemorySessionStore store{make_options(clock, metrics, 1'000'000)};
  static MemorySessionStoreOptions make_options(ManualClock &c, MetricsRegistry &m, size_t max) {
    MemorySessionStoreOptions o;
    o.clock = &c;
    o.metrics = &m;
    o.max_entries = max;
    return o;
  }
  Deadline d() const { return Deadline::after(seconds(1)); }
};

TEST_CASE("memory store reports exact remaining ttl and hold expiry on the injected clock") {
  Fixture f;
  REQUIRE(f.store.put_session("CA-1", "{}", seconds(10), SessionStore::kNewSession, f.d()).ok());
  f.clock.advance(milliseconds(2500));
  auto doc = f.store.get_session("CA-1", f.d());
  REQUIRE(doc.ok());
  CHECK(doc->ttl_remaining == milliseconds(7500));
  f.clock.advance(milliseconds(7499));
  CHECK(f.store.get_session("CA-1", f.d()).ok());
  f.clock.advance(milliseconds(1));
  CHECK(f.store.get_session("CA-1", f.d()).status().code() == StatusCode::kNotFound);

  REQUIRE(f.store.hold_slot("s", "a", 1, seconds(30), f.d()).ok());
  f.clock.advance(seconds(12));
  auto full = f.store.hold_slot("s", "b", 1, seconds(30), f.d());
  CHECK(full.status().code() == StatusCode::kConflict);
  CHECK(full.status().message().find("earliest hold expires in 18000 ms") != std::string::npos);
}

TEST_CASE("memory rate limiter gives the exact retry_after of a sliding window") {
  Fixture f;
  CHECK(f.store.check_rate("c", 2, seconds(10), f.d())->allowed);
  f.clock.advance(seconds(4));
  CHECK(f.store.check_rate("c", 2, seconds(10), f.d())->allowed);
  f.clock.advance(seconds(1));
  auto denied = f.store.check_rate("c", 2, seconds(10), f.d());
  REQUIRE(denied.ok());
  CHECK_FALSE(denied->allowed);
  CHECK(denied->retry_after == seconds(5));  // the first attempt leaves the window at t=10 s
  f.clock.advance(seconds(5));
  auto after = f.store.check_rate("c", 2, seconds(10), f.d());
  REQUIRE(after.ok());
  CHECK(after->allowed);
  CHECK(after->remaining == 0);
}

TEST_CASE("memory store refuses new keys with QUEUE_FULL at max_entries and frees expired ones") {
  ManualClock clock;
  MetricsRegistry metrics;
  MemorySessionStore store(Fixture::make_options(clock, metrics, 3));
  const Deadline d = Deadline::after(seconds(1));
  REQUIRE(store.put_session("a", "{}", seconds(5), SessionStore::kAnyVersion, d).ok());
  REQUIRE(store.hold_slot("s", "a", 1, seconds(5), d).ok());
  REQUIRE(store.check_rate("c", 5, seconds(5), d).ok());
  CHECK(store.put_session("b", "{}", seconds(5), SessionStore::kAnyVersion, d).status().code() ==
        StatusCode::kQueueFull);
  // Existing keys still work at the limit.
  CHECK(store.put_session("a", "{\"x\":1}", seconds(5), SessionStore::kAnyVersion, d).ok());
  clock.advance(seconds(6));
  CHECK(store.live_entries() == 0);
  CHECK(store.put_session("b", "{}", seconds(5), SessionStore::kAnyVersion, d).ok());
}

TEST_CASE("memory store sweeps expired entries without being asked") {
  Fixture f;
  for (int i = 0; i < 500; ++i)
    REQUIRE(f.store.put_session(fmt::format("old-{}", i), "{}", seconds(1), SessionStore::kAnyVersion, f.d())
                .ok());
  f.clock.advance(seconds(2));
  for (int i = 0; i < 600; ++i) (void)f.store.get_session("someone", f.d());
  // The amortised sweep ran during the reads: the 500 expired documents are gone.
  CHECK(f.store.live_entries() == 0);
}

TEST_CASE("memory store counts operations, latency and errors by code in its registry") {
  Fixture f;
  REQUIRE(f.store.put_session("CA-1", "{}", seconds(10), SessionStore::kAnyVersion, f.d()).ok());
  (void)f.store.get_session("CA-1", f.d());
  (void)f.store.get_session("CA-2", f.d());  // NOT_FOUND is an answer, not an error
  (void)f.store.get_session("", f.d());
  (void)f.store.get_session("CA-1", Deadline::after(Duration::zero()));
  const std::string text = f.metrics.prometheus_text();
  CHECK(text.find("voxline_session_store_ops_total{backend=\"memory\",op=\"get\"} 4") != std::string::npos);
  CHECK(text.find("voxline_session_store_ops_total{backend=\"memory\",op=\"put\"} 1") != std::string::npos);
  CHECK(text.find("voxline_session_store_errors_total{backend=\"memory\",code=\"INVALID_ARGUMENT\"} 1") !=
        std::string::npos);
  CHECK(text.find("voxline_session_store_timeouts_total{backend=\"memory\"} 1") != std::string::npos);
  CHECK(text.find("voxline_session_store_op_ms") != std::string::npos);
}

TEST_CASE("memory store ping is healthy and names the backend") {
  Fixture f;
  HealthCheck c = f.store.ping(f.d());
  CHECK(c.ok);
  CHECK(c.component == "storage.session_store.memory");
  CHECK_FALSE(f.store.ping(Deadline::after(Duration::zero())).ok);
}

}  // namespace
}  // namespace voxline
