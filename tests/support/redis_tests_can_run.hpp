// File: redis_tests_can_run.hpp
// redis_tests_can_run(): whether a doctest test that needs a real redis-server may go on. Under
// CI=true a missing server fails the test; elsewhere it says so loudly (a doctest MESSAGE and a
// banner on stderr) and the caller returns, skipping the test.
//
//   if (!voxline::testing::redis_tests_can_run()) return;
//
// Thread-safety: call from the test's thread.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>

#include "support/redis_server.hpp"

namespace voxline::testing {

inline bool redis_tests_can_run() {
  const auto why = RedisServer::unavailable_reason();
  if (!why) return true;
  if (in_ci()) FAIL("CI=true and the Redis integration tests cannot run: " << *why);
  std::fprintf(stderr, "\n**********\n*** WARNING: Redis integration test SKIPPED: %s\n**********\n\n",
               why->c_str());
  MESSAGE("SKIPPED: " << *why);
  return false;
}

}  // namespace voxline::testing
