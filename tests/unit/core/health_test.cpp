// HealthRegistry: real probes with deadlines, aggregated; any failing check fails the report.
#include "voxline/core/health.hpp"

#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

namespace voxline {
namespace {

HealthCheck passing(std::string detail) {
  return HealthCheck{{}, true, std::move(detail), 0};
}

TEST_CASE("a registry runs every probe and is healthy only while each one passes") {
  ManualClock clock;
  HealthRegistry registry(clock);
  bool db_ok = true;
  registry.add("storage.test", std::chrono::seconds(1), [&](const Deadline &) {
    return db_ok ? passing("sound") : HealthCheck{{}, false, "disk I/O error", 0};
  });
  registry.add("provider.test", std::chrono::seconds(1), [](const Deadline &) { return passing("200 OK"); });
  HealthReport r = registry.run();
  CHECK(r.ok());
  REQUIRE(r.checks().size() == 2);
  CHECK(r.checks()[0].component == "storage.test");
  db_ok = false;
  r = registry.run();
  CHECK_FALSE(r.ok());
  REQUIRE(r.find("storage.test") != nullptr);
  CHECK_FALSE(r.find("storage.test")->ok);
  CHECK(r.find("storage.test")->detail == "disk I/O error");
  CHECK(r.find("provider.test")->ok);
  CHECK(r.to_json().rfind("{\"ok\":false,", 0) == 0);
  CHECK(r.to_text().find("FAIL  storage.test") != std::string::npos);
  CHECK(registry.remove("storage.test"));
  CHECK_FALSE(registry.remove("storage.test"));
  CHECK(registry.run().ok());
}

TEST_CASE("each probe gets its own deadline and a late answer counts as a failure") {
  ManualClock clock;
  HealthRegistry registry(clock);
  Duration seen = Duration::zero();
  registry.add("slow", std::chrono::milliseconds(200), [&](const Deadline &d) {
    seen = d.remaining();
    clock.advance(std::chrono::milliseconds(300));  // the dependency took longer than allowed
    return passing("eventually fine");
  });
  const HealthReport r = registry.run();
  CHECK(seen == std::chrono::milliseconds(200));
  REQUIRE(r.checks().size() == 1);
  CHECK_FALSE(r.ok());
  CHECK(r.checks()[0].detail.find("after its 200 ms deadline") != std::string::npos);
  CHECK(r.checks()[0].latency_ms == doctest::Approx(300.0));
}

TEST_CASE("a probe that throws or is empty makes its check fail instead of the caller") {
  HealthRegistry registry;
  registry.add("throws", std::chrono::seconds(1),
               [](const Deadline &) -> HealthCheck { throw std::runtime_error("boom"); });
  registry.add("empty", std::chrono::seconds(1), HealthProbe());
  const HealthReport r = registry.run();
  CHECK_FALSE(r.ok());
  CHECK(r.find("throws")->detail == "probe threw: boom");
  CHECK_FALSE(r.find("empty")->ok);
}

TEST_CASE("adding a component twice replaces its probe") {
  HealthRegistry registry;
  registry.add("x", std::chrono::seconds(1), [](const Deadline &) {
    return HealthCheck{{}, false, "old", 0};
  });
  registry.add("x", std::chrono::seconds(1), [](const Deadline &) { return passing("new"); });
  CHECK(registry.size() == 1);
  CHECK(registry.run().ok());
}

TEST_CASE("the core clock check fails when the host wall clock was never set") {
  ManualClock clock(WallTime(std::chrono::hours(24)));  // 1970-01-02
  const HealthReport bad = core_health_report(clock);
  CHECK_FALSE(bad.ok());
  CHECK(bad.find("core.clock")->detail.find("the host clock is not set") != std::string::npos);
  clock.set_wall(WallTime(std::chrono::seconds(1764748800)));  // 2025-12-03
  CHECK(core_health_report(clock).ok());
}

TEST_CASE("details are redacted on output") {
  HealthReport r;
  r.add(HealthCheck{"storage.session_store.redis", false, "redis://:hunter2@cache:6379/0: UNAVAILABLE", 1});
  CHECK(r.to_json().find("hunter2") == std::string::npos);
  CHECK(r.to_text().find("hunter2") == std::string::npos);
}

}  // namespace
}  // namespace voxline
