// Temporary access tokens (Deepgram's POST /v1/auth/grant): issuing, checking and the grant
// endpoint's answers.
#include "sim/src/auth_grant.hpp"

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "voxline/core/json.hpp"

namespace voxline::sim::detail {
namespace {

constexpr double kDefaultTtlS = 30;
constexpr double kMaxTtlS = 3600;

std::string base64url(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3F];
  return out;  // unpadded, as JWTs are
}

std::string error_body(std::string_view code, std::string_view message, std::string_view request_id) {
  return fmt::format(R"({{"err_code":{},"err_msg":{},"request_id":{}}})", json::quote(code),
                     json::quote(message), json::quote(request_id));
}

HttpPlan answer(int status, std::string body, std::string_view request_id) {
  HttpPlan plan = fixed_response(status, std::move(body));
  plan.headers.emplace_back("dg-request-id", std::string(request_id));
  return plan;
}

}  // namespace

GrantStore::GrantStore() {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof(key)) != 1) {
    // No entropy source: tokens stay unique (serial) and checked by lookup, only less opaque.
    for (size_t i = 0; i < sizeof(key); ++i) key[i] = static_cast<unsigned char>(i * 131 + 7);
  }
  secret_.assign(reinterpret_cast<const char *>(key), sizeof(key));
}

void GrantStore::prune(int64_t now_ms) {
  for (auto it = expiry_ms_.begin(); it != expiry_ms_.end();) {
    it = it->second <= now_ms ? expiry_ms_.erase(it) : std::next(it);
  }
}

std::string GrantStore::issue(double ttl_s, int64_t now_ms, int64_t unix_s) {
  prune(now_ms);
  if (expiry_ms_.size() >= kMaxLive) return {};
  const int64_t ttl_ms = std::llround(ttl_s * 1000.0);
  const int64_t exp_s = unix_s + static_cast<int64_t>(std::ceil(ttl_s));
  const std::string header = base64url(R"({"alg":"HS256","typ":"JWT"})");
  const std::string payload = base64url(fmt::format(
      R"({{"iss":"voxline-sim","sub":"voxline-sim-grant","scopes":["usage:write"],"iat":{},"exp":{},"jti":"{:016x}"}})",
      unix_s, exp_s, ++serial_));
  const std::string signed_part = header + "." + payload;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char *>(signed_part.data()), signed_part.size(), mac, &mac_len);
  std::string token =
      signed_part + "." + base64url(std::string_view(reinterpret_cast<const char *>(mac), mac_len));
  expiry_ms_[token] = now_ms + ttl_ms;
  return token;
}

bool GrantStore::valid(std::string_view token, int64_t now_ms) const {
  auto it = expiry_ms_.find(std::string(token));
  return it != expiry_ms_.end() && now_ms < it->second;
}

HttpPlan grant_response(const GrantRequest &req, const std::string &api_key, GrantStore &store) {
  if (req.method != "POST")
    return answer(405,
                  error_body("METHOD_NOT_ALLOWED", "Use POST to request an access token.", req.request_id),
                  req.request_id);
  // Only an API key can mint tokens: a Bearer token (even a valid one) is refused like a bad key.
  if (!api_key.empty() && req.authorization != "Token " + api_key)
    return answer(401, error_body("INVALID_AUTH", "Invalid credentials.", req.request_id), req.request_id);
  double ttl_s = kDefaultTtlS;
  if (req.body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    auto doc = json::parse(req.body);
    if (!doc.ok() || !doc->IsObject())
      return answer(400, error_body("Bad Request", "The request body must be a JSON object.", req.request_id),
                    req.request_id);
    if (const json::Value *ttl = json::find(*doc, "ttl_seconds")) {
      if (!ttl->IsNumber() || !(ttl->GetDouble() >= 1 && ttl->GetDouble() <= kMaxTtlS))
        return answer(
            400,
            error_body("Bad Request", "ttl_seconds must be a number between 1 and 3600.", req.request_id),
            req.request_id);
      ttl_s = ttl->GetDouble();
    }
  }
  std::string token = store.issue(ttl_s, req.now_ms, req.unix_s);
  if (token.empty())
    return answer(
        429, error_body("TOO_MANY_REQUESTS", "Too many live access tokens; retry later.", req.request_id),
        req.request_id);
  return answer(200, fmt::format(R"({{"access_token":{},"expires_in":{}}})", json::quote(token), ttl_s),
                req.request_id);
}

}  // namespace voxline::sim::detail
