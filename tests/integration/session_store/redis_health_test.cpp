// The session store's health check against a real redis-server: healthy while it runs,
// unhealthy (within the check's deadline, naming the server without its password) once stopped.
#include <chrono>
#include <string>

#include <doctest/doctest.h>

#include "integration/session_store/redis_harness.hpp"
#include "voxline/core/health.hpp"
#include "voxline/storage/session_store_factory.hpp"

namespace voxline::testing {
namespace {

TEST_CASE("redis health: a stopped redis-server makes the health report unhealthy") {
  if (!redis_tests_can_run()) return;
  RedisServer server("health-pw-123");
  REQUIRE(server.start().ok());
  MetricsRegistry metrics;
  SessionStoreConfig c;
  c.url = server.url();
  c.metrics = &metrics;
  auto store = make_session_store(c);
  REQUIRE(store.ok());
  HealthRegistry health;
  add_health_check(health, **store, std::chrono::milliseconds(500));
  HealthReport r = health.run();
  REQUIRE(r.checks().size() == 1);
  CHECK_MESSAGE(r.ok(), r.to_text());
  CHECK(r.checks()[0].component == "storage.session_store.redis");

  server.stop();
  r = health.run();
  CHECK_FALSE(r.ok());
  const HealthCheck &h = r.checks()[0];
  CHECK_FALSE(h.ok);
  CHECK(h.detail.find("127.0.0.1") != std::string::npos);
  CHECK(h.detail.find("health-pw-123") == std::string::npos);
  CHECK(r.to_json().find("health-pw-123") == std::string::npos);
  CHECK(h.latency_ms < 500 + 1500);  // bounded by the check's deadline (plus scheduling slack)

  REQUIRE(server.start().ok());  // same port: the store reconnects by itself
  CHECK_MESSAGE(health.run().ok(), health.run().to_text());
}

}  // namespace
}  // namespace voxline::testing
