// Parsing of redis:// URLs for RedisSessionStore, and option checks that need no server.
#include <string>

#include <doctest/doctest.h>

#include "storage/session_store/redis_url.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/url.hpp"
#include "voxline/storage/redis_session_store.hpp"

namespace voxline {
namespace {

using detail::parse_redis_url;

TEST_CASE("redis URL parses host, port and db with defaults") {
  auto a = parse_redis_url("redis://127.0.0.1:6390/3");
  REQUIRE(a.ok());
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 6390);
  CHECK(a->db == 3);
  CHECK(a->password.empty());
  auto b = parse_redis_url("redis://cache.internal");
  REQUIRE(b.ok());
  CHECK(b->host == "cache.internal");
  CHECK(b->port == 6379);
  CHECK(b->db == 0);
  auto c = parse_redis_url("redis://[::1]:7000/");
  REQUIRE(c.ok());
  CHECK(c->host == "::1");
  CHECK(c->port == 7000);
  CHECK(c->redacted() == "redis://[::1]:7000/0");
}

TEST_CASE("redis URL takes a password alone or with an ACL user, percent-decoded") {
  auto a = parse_redis_url("redis://:s3cr%40t@10.0.0.5:6379/2");
  REQUIRE(a.ok());
  CHECK(a->username.empty());
  CHECK(a->password == "s3cr@t");
  CHECK(a->db == 2);
  auto b = parse_redis_url("redis://agent:pa:ss@10.0.0.5");
  REQUIRE(b.ok());
  CHECK(b->username == "agent");
  CHECK(b->password == "pa:ss");
}

TEST_CASE("redacted redis URL never contains the password") {
  auto a = parse_redis_url("redis://agent:hunter2@10.0.0.5:6379/1");
  REQUIRE(a.ok());
  CHECK(a->redacted() == "redis://***@10.0.0.5:6379/1");
  CHECK(a->redacted().find("hunter2") == std::string::npos);
}

TEST_CASE("malformed redis URLs are INVALID_ARGUMENT without echoing secrets") {
  for (const char *bad :
       {"", "http://h:1", "redis://", "redis://:6379", "redis://h:0", "redis://h:70000", "redis://h:12ab",
        "redis://h:", "redis://h/x", "redis://h/-1", "redis://[::1", "redis://[::1]x", "redis://pw@h",
        "redis://:@h", "redis://:%zz@h", "redis://h?db=1", "redis://h h:1", "redis://:topsecret@h:99999"}) {
    auto r = parse_redis_url(bad);
    CHECK_MESSAGE(r.status().code() == StatusCode::kInvalidArgument, bad);
    CHECK(r.status().message().find("topsecret") == std::string::npos);
  }
  CHECK(parse_redis_url("rediss://h:1").status().code() == StatusCode::kUnsupported);
}

// Before core/strings the two parsers disagreed: "::1:6379" was host "::1" port 6379 to net/url
// and "missing host" to the Redis parser, "::1" was host ":" port 1 to net/url, "h:000080" was
// port 80 to Redis only, and "REDIS://" was refused while "WSS://" was accepted.
TEST_CASE("the Redis URL parser and net/url read every host:port the same way") {
  for (const char *hp : {"[::1]:6379",
                         "[::1]",
                         "::1",
                         "::1:6379",
                         "host:",
                         "host:0",
                         "host:99999",
                         "host:000080",
                         "host:0080",
                         "host",
                         "HOST:80",
                         "[::1]:",
                         "[]:80",
                         ":80",
                         "h_st:80",
                         "h%41:80",
                         "a:b:c",
                         "[::1]x",
                         "[::1",
                         "127.0.0.1:65535",
                         "127.0.0.1:65536",
                         "[fe80::1%25eth0]:80",
                         "[v1.x]:80"}) {
    auto web = parse_url(std::string("ws://") + hp + "/");
    auto redis = parse_redis_url(std::string("redis://") + hp + "/0");
    REQUIRE_MESSAGE(web.ok() == redis.ok(), hp);
    if (!web.ok()) {
      // Same reason, each with its own context prefix.
      const std::string w = web.status().message(), r = redis.status().message();
      CHECK_MESSAGE(w.substr(w.find(": ") + 2) == r.substr(r.find(": ") + 2), hp);
      continue;
    }
    CHECK_MESSAGE(web->host == redis->host, hp);
    const bool explicit_port = std::string(hp).find("]:") != std::string::npos ||
                               (hp[0] != '[' && std::string(hp).find(':') != std::string::npos);
    if (explicit_port) CHECK_MESSAGE(web->port == redis->port, hp);
  }
  CHECK(parse_redis_url("REDIS://cache:6380/1").value().port == 6380);
  CHECK(parse_url("WSS://cache:6380/").value().port == 6380);
}

TEST_CASE("RedisSessionStore create validates options without connecting") {
  MetricsRegistry metrics;
  RedisSessionStoreOptions o;
  o.metrics = &metrics;
  o.url = "redis://127.0.0.1:1/0";  // nothing listens there; create() must not care
  CHECK(RedisSessionStore::create(o).ok());
  o.key_prefix = "bad{prefix}";
  CHECK(RedisSessionStore::create(o).status().code() == StatusCode::kInvalidArgument);
  o.key_prefix = "ok";
  o.pool_size = 0;
  CHECK(RedisSessionStore::create(o).status().code() == StatusCode::kInvalidArgument);
  o.pool_size = 2;
  o.backoff_initial = Millis(500);
  o.backoff_max = Millis(100);
  CHECK(RedisSessionStore::create(o).status().code() == StatusCode::kInvalidArgument);
  o.backoff_max = Millis(1000);
  o.url = "redis:/oops";
  CHECK(RedisSessionStore::create(o).status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace voxline
