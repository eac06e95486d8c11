// make_session_store picks the backend from the configured URL.
#include <string>

#include <doctest/doctest.h>

#include "voxline/core/metrics.hpp"
#include "voxline/storage/session_store_factory.hpp"

namespace voxline {
namespace {

TEST_CASE("make_session_store builds the memory store for memory:// and the redis store for redis://") {
  MetricsRegistry metrics;
  SessionStoreConfig c;
  c.metrics = &metrics;
  auto mem = make_session_store(c);
  REQUIRE(mem.ok());
  CHECK((*mem)->backend() == "memory");
  CHECK((*mem)
            ->put_session("CA-1", "{}", std::chrono::seconds(5), SessionStore::kNewSession,
                          Deadline::after(std::chrono::seconds(1)))
            .ok());
  c.url = "redis://:pw@127.0.0.1:6390/1";
  auto redis = make_session_store(c);
  REQUIRE(redis.ok());
  CHECK((*redis)->backend() == "redis");
}

TEST_CASE("make_session_store refuses unknown schemes without echoing the URL and rediss as UNSUPPORTED") {
  SessionStoreConfig c;
  c.url = "postgres://user:topsecret@db/1";
  auto r = make_session_store(c);
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("topsecret") == std::string::npos);
  CHECK(r.status().message().find("postgres") != std::string::npos);
  c.url = "rediss://h:1";
  CHECK(make_session_store(c).status().code() == StatusCode::kUnsupported);
  c.url = "redis://h:1";
  c.key_prefix = "";
  CHECK(make_session_store(c).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Config's session_store keys reach the factory, and its health check is registered by backend") {
  Config cfg;
  REQUIRE(cfg.apply_json(R"({"session_store":{"url":"memory://","key_prefix":"shop7"}})").ok());
  MetricsRegistry metrics;
  SessionStoreConfig c = session_store_config(cfg);
  CHECK(c.key_prefix == "shop7");
  c.metrics = &metrics;
  auto store = make_session_store(c);
  REQUIRE(store.ok());
  HealthRegistry health;
  add_health_check(health, **store);
  const HealthReport r = health.run();
  REQUIRE(r.checks().size() == 1);
  CHECK(r.checks()[0].component == "storage.session_store.memory");
  CHECK(r.ok());
  // A check given no time at all fails: the store's own deadline check is behind it.
  add_health_check(health, **store, Duration::zero());
  CHECK_FALSE(health.run().ok());
}

}  // namespace
}  // namespace voxline
