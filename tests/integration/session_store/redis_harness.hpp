// File: redis_harness.hpp
// Helpers shared by the Redis integration tests: the loud skip / CI failure when redis-server is
// missing, and a harness (real server + RedisSessionStore with its own metrics registry) that
// runs the shared SessionStore contract.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "support/redis_server.hpp"
#include "support/redis_tests_can_run.hpp"
#include "unit/session_store/session_store_contract.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/storage/redis_session_store.hpp"

namespace voxline::testing {

inline RedisSessionStoreOptions store_options(const RedisServer &server, MetricsRegistry &metrics) {
  RedisSessionStoreOptions o;
  o.url = server.url();
  o.key_prefix = "vxtest";
  o.pool_size = 4;
  o.metrics = &metrics;
  return o;
}

class RedisHarness final : public StoreHarness {
 public:
  Status init() {
    VOXLINE_RETURN_IF_ERROR(server_.start());
    auto store = RedisSessionStore::create(store_options(server_, metrics_));
    if (!store.ok()) return store.status();
    store_ = std::move(store).value();
    return Status::Ok();
  }
  SessionStore &store() override { return *store_; }
  // Holds, windows and TTLs run on the Redis server's clock: real time must pass.
  void let_time_pass(Duration d) override { std::this_thread::sleep_for(d); }
  Millis short_ttl() const override { return Millis(400); }

  RedisServer &server() { return server_; }
  MetricsRegistry &metrics() { return metrics_; }

 private:
  RedisServer server_;
  MetricsRegistry metrics_;
  std::unique_ptr<RedisSessionStore> store_;
};

struct RedisHarnessFactory {
  static std::unique_ptr<StoreHarness> make() {
    if (!redis_tests_can_run()) return nullptr;
    auto h = std::make_unique<RedisHarness>();
    Status s = h->init();
    REQUIRE_MESSAGE(s.ok(), s.to_string());
    return h;
  }
};

}  // namespace voxline::testing
