// File: redis_url.hpp
// RedisEndpoint: where a RedisSessionStore connects, parsed from
//   redis://[[user]:password@]host[:port][/db]
// (host may be an IPv6 literal in brackets; user and password are percent-decoded; port
// defaults to 6379 and db to 0). redacted() is the only form that may reach logs or messages.
// Thread-safety: plain values and a pure function.
#pragma once

#include <string>
#include <string_view>

#include "voxline/core/result.hpp"

namespace voxline::detail {

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  std::string username;  // empty: AUTH <password> (legacy); else AUTH <user> <password> (ACL)
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECT when non-zero

  // "redis://host:port/db", with "***@" in place of any credentials.
  std::string redacted() const;
};

// INVALID_ARGUMENT naming the problem (never echoing the password) for anything malformed.
Result<RedisEndpoint> parse_redis_url(std::string_view url);

}  // namespace voxline::detail
