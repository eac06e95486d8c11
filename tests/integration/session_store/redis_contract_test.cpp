// The SessionStore contract on RedisSessionStore against a real redis-server on loopback.
#include <doctest/doctest.h>

#include "integration/session_store/redis_harness.hpp"

namespace voxline::testing {
namespace {

#define X(fn, name)                                   \
  TEST_CASE("redis: " name) {                         \
    run_contract<RedisHarnessFactory>(&contract::fn); \
  }
VOXLINE_SESSION_STORE_CONTRACT_CASES(X)
#undef X

}  // namespace
}  // namespace voxline::testing
