#include "voxline/speech/deepgram_auth.hpp"

#include <doctest/doctest.h>

#include <string>

using voxline::StatusCode;
using voxline::speech::authorization_header;
using voxline::speech::DeepgramAuth;

namespace {
constexpr const char *kKey = "3f9a1c0d5e7b2a4c6d8e0f1a2b3c4d5e6f708192";
constexpr const char *kJwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2b3hsaW5lIn0.c2lnbmF0dXJlX2J5dGVz";

voxline::Status refusal(DeepgramAuth::Scheme scheme, std::string credential) {
  const auto h = authorization_header(DeepgramAuth{scheme, std::move(credential)});
  REQUIRE_FALSE(h.ok());
  return h.status();
}
}  // namespace

TEST_CASE("an API key goes as Token and a JWT as Bearer in the Authorization header") {
  auto h = authorization_header(DeepgramAuth{DeepgramAuth::Scheme::kToken, kKey});
  REQUIRE(h.ok());
  CHECK(h->first == "Authorization");
  CHECK(h->second == std::string("Token ") + kKey);
  h = authorization_header(DeepgramAuth{DeepgramAuth::Scheme::kBearer, kJwt});
  REQUIRE(h.ok());
  CHECK(h->second == std::string("Bearer ") + kJwt);
}

TEST_CASE("an API key given as Bearer and a JWT given as Token are refused with the fix named") {
  const auto key_as_bearer = refusal(DeepgramAuth::Scheme::kBearer, kKey);
  CHECK(key_as_bearer.code() == StatusCode::kInvalidArgument);
  CHECK(key_as_bearer.message().find("kToken") != std::string::npos);
  const auto jwt_as_token = refusal(DeepgramAuth::Scheme::kToken, kJwt);
  CHECK(jwt_as_token.code() == StatusCode::kInvalidArgument);
  CHECK(jwt_as_token.message().find("kBearer") != std::string::npos);
  // Not three non-empty parts: not a JWT.
  for (const char *bad : {"a.b", "a..c", ".b.c", "a.b.", "a.b.c.d", "a.b!.c"}) {
    CAPTURE(bad);
    CHECK(refusal(DeepgramAuth::Scheme::kBearer, bad).code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("empty, prefixed and header-breaking credentials are refused without echoing the secret") {
  CHECK(refusal(DeepgramAuth::Scheme::kToken, "").message() == "Deepgram credential is empty");
  const auto prefixed = refusal(DeepgramAuth::Scheme::kToken, std::string("Token ") + kKey);
  CHECK(prefixed.message().find("scheme word") != std::string::npos);
  CHECK(prefixed.message().find(kKey) == std::string::npos);
  CHECK(refusal(DeepgramAuth::Scheme::kBearer, std::string("bearer ") + kJwt).message().find("scheme word") !=
        std::string::npos);
  for (const std::string &bad : {std::string(kKey) + "\r\nX-Evil: 1", std::string("ab cd"),
                                 std::string("k\x01y"), std::string("k\xC3\xA9y")}) {
    const auto s = refusal(DeepgramAuth::Scheme::kToken, bad);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message().find("control or non-ASCII") != std::string::npos);
  }
}
