// with_redis <program> [args...]: starts a real redis-server on a free loopback port (as the C++
// Redis tests do, tests/support/redis_server.hpp), runs the program with VOXLINE_TEST_REDIS_URL
// set to its URL, stops the server and exits with the program's status. Without redis-server it
// fails under CI=true and otherwise exits 77 (ctest SKIP_RETURN_CODE) saying why.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "support/redis_server.hpp"

int main(int argc, char **argv) {
  using voxline::testing::RedisServer;
  if (argc < 2) {
    std::fprintf(stderr, "usage: with_redis <program> [args...]\n");
    return 2;
  }
  if (auto why = RedisServer::unavailable_reason()) {
    const char *ci = std::getenv("CI");
    if (ci != nullptr && std::strcmp(ci, "true") == 0) {
      std::fprintf(stderr, "FATAL ERROR: CI=true and the Redis C ABI test cannot run: %s\n", why->c_str());
      return 1;
    }
    std::fprintf(stderr, "WARNING: Redis C ABI test SKIPPED: %s\n", why->c_str());
    return 77;
  }
  RedisServer redis;
  const voxline::Status started = redis.start();
  if (!started.ok()) {
    std::fprintf(stderr, "redis-server did not start: %s\n", started.to_string().c_str());
    return 1;
  }
  ::setenv("VOXLINE_TEST_REDIS_URL", redis.url().c_str(), 1);
  return voxline::testing::run_to_exit(argv + 1);
}
