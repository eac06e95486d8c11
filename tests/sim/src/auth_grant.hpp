// File: auth_grant.hpp
// Deepgram's temporary access tokens for voxline-sim (POST /v1/auth/grant). GrantStore issues
// JWT-shaped tokens (HS256, signed with a per-simulator random secret) with a TTL and checks the
// `Authorization: Bearer <jwt>` of later STT/TTS upgrades; grant_response answers the grant
// request itself (auth, body, errors) as a complete HttpPlan.
// Ownership: a GrantStore owns its tokens; the simulator owns one store.
// Thread-safety: not thread-safe; the simulator uses it on its service thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sim/src/http_plan.hpp"

namespace voxline::sim::detail {

class GrantStore {
 public:
  // Live tokens kept at most; a grant beyond this is refused (429) until some expire.
  static constexpr size_t kMaxLive = 4096;

  GrantStore();  // draws the signing secret

  // A new token valid for `ttl_s` seconds from `now_ms` (monotonic ms), stamped with `unix_s`
  // (iat/exp claims); "" when kMaxLive tokens are live.
  std::string issue(double ttl_s, int64_t now_ms, int64_t unix_s);
  // True for a token this store issued whose TTL has not run out at `now_ms`.
  bool valid(std::string_view token, int64_t now_ms) const;

 private:
  void prune(int64_t now_ms);
  std::unordered_map<std::string, int64_t> expiry_ms_;  // token -> expiry (monotonic ms)
  std::string secret_;
  uint64_t serial_ = 0;
};

struct GrantRequest {
  std::string_view method;         // "POST", "GET", "HEAD"
  std::string_view authorization;  // the Authorization header ("" when absent)
  std::string_view body;
  std::string_view request_id;  // dg-request-id of the answer
  int64_t now_ms = 0;           // monotonic
  int64_t unix_s = 0;           // wall clock, for the token's claims
};

// 200 {"access_token": <jwt>, "expires_in": N} for `Authorization: Token <api_key>` and an
// optional body {"ttl_seconds": N} (1..3600, default 30); 401 INVALID_AUTH for any other
// credential (a Bearer token cannot mint tokens), 400 for a bad body or ttl_seconds, 405 for a
// method other than POST, 429 when the store is full. Every answer carries dg-request-id and a
// Deepgram error body on failure. `api_key` empty = no credential check.
HttpPlan grant_response(const GrantRequest &req, const std::string &api_key, GrantStore &store);

}  // namespace voxline::sim::detail
