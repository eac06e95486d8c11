// Deepgram credentials on the simulator: API keys only as `Token`, temporary tokens from
// POST /v1/auth/grant as `Bearer`, expiry, and the grant endpoint's own refusals.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "integration/sim/http_test_client.hpp"
#include "integration/sim/raw_ws_client.hpp"
#include "integration/sim/sim_test_util.hpp"

namespace voxline::simtest {
namespace {

const char *kListen = "/v1/listen?encoding=mulaw&sample_rate=8000";
const char *kSpeak = "/v1/speak?encoding=mulaw&sample_rate=8000";

WsConnectOptions with_auth(const std::string &value) {
  WsConnectOptions o;
  o.headers["Authorization"] = value;
  return o;
}

HttpResult grant(sim::Simulator &sim, const std::string &body,
                 const std::string &authorization = "Token test-key") {
  HttpOptions o;
  if (!authorization.empty()) o.headers["Authorization"] = authorization;
  o.headers["Content-Type"] = "application/json";
  return http_post(sim.http_url("/v1/auth/grant"), body, o);
}

// The JSON of one base64url part of a JWT.
std::string decode_part(const std::string &part) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : part) {
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '-'             ? 62
            : c == '_'             ? 63
                                   : -1;
    REQUIRE_MESSAGE(v >= 0, "not base64url: ", part);
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::vector<std::string> split_dots(const std::string &s) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == '.') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

}  // namespace

TEST_CASE("an API key sent as Bearer is refused with 401 on STT and TTS, as Deepgram refuses it") {
  auto sim = start_sim();
  for (const char *path : {kListen, kSpeak}) {
    CAPTURE(path);
    RawWsClient bearer;
    CHECK_FALSE(bearer.connect(sim->port(), path, with_auth("Bearer test-key")));
    CHECK(bearer.status() == 401);
    CHECK(bearer.response_header("dg-error").find("Invalid credentials") != std::string::npos);
    CHECK(bearer.response_body().find("INVALID_AUTH") != std::string::npos);
    RawWsClient token;
    CHECK(token.connect(sim->port(), path, with_auth("Token test-key")));
  }
}

TEST_CASE("a token granted by POST /v1/auth/grant opens STT and TTS as Bearer until its TTL runs out") {
  auto sim = start_sim();
  HttpResult r = grant(*sim, "");
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"].find("application/json") != std::string::npos);
  CHECK(r.headers["dg-request-id"].size() == 36);
  json::Document d = parse_json(r.body);
  CHECK(d["expires_in"].GetDouble() == doctest::Approx(30));  // the default TTL
  const std::string token = str(d["access_token"]);
  // JWT-shaped: header.payload.signature, base64url, HS256, a 30 s lifetime in its claims.
  std::vector<std::string> parts = split_dots(token);
  REQUIRE(parts.size() == 3);
  json::Document header = parse_json(decode_part(parts[0]));
  CHECK(str(header["alg"]) == "HS256");
  CHECK(str(header["typ"]) == "JWT");
  json::Document claims = parse_json(decode_part(parts[1]));
  CHECK(claims["exp"].GetInt64() - claims["iat"].GetInt64() == 30);
  CHECK(decode_part(parts[2]).size() == 32);
  for (const char *path : {kListen, kSpeak}) {
    CAPTURE(path);
    RawWsClient ws;
    CHECK(ws.connect(sim->port(), path, with_auth("Bearer " + token)));
    RawWsClient as_token;  // a JWT is not an API key
    CHECK_FALSE(as_token.connect(sim->port(), path, with_auth("Token " + token)));
    CHECK(as_token.status() == 401);
  }
  RawWsClient forged;  // the right shape is not enough: the simulator must have issued it
  CHECK_FALSE(
      forged.connect(sim->port(), kListen, with_auth("Bearer " + parts[0] + "." + parts[1] + ".AAAA")));
  CHECK(forged.status() == 401);

  HttpResult short_lived = grant(*sim, R"({"ttl_seconds": 1})");
  REQUIRE(short_lived.status == 200);
  json::Document s = parse_json(short_lived.body);
  CHECK(s["expires_in"].GetDouble() == doctest::Approx(1));
  const std::string brief = str(s["access_token"]);
  CHECK(brief != token);
  RawWsClient early;
  CHECK(early.connect(sim->port(), kSpeak, with_auth("Bearer " + brief)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  RawWsClient late;
  CHECK_FALSE(late.connect(sim->port(), kSpeak, with_auth("Bearer " + brief)));
  CHECK(late.status() == 401);
  RawWsClient still;  // the 30 s token is unaffected
  CHECK(still.connect(sim->port(), kListen, with_auth("Bearer " + token)));
}

TEST_CASE("POST /v1/auth/grant needs an API key as Token and a ttl_seconds of 1..3600") {
  auto sim = start_sim();
  HttpResult ok = grant(*sim, "");
  REQUIRE(ok.status == 200);
  const std::string token = str(parse_json(ok.body)["access_token"]);
  struct Case {
    std::string body, authorization;
    long status;
    const char *part;
  };
  const Case cases[] = {
      {"", "", 401, "INVALID_AUTH"},
      {"", "Token wrong", 401, "INVALID_AUTH"},
      {"", "Bearer test-key", 401, "INVALID_AUTH"},
      {"", "Bearer " + token, 401, "INVALID_AUTH"},  // a temporary token cannot mint more
      {R"({"ttl_seconds": 0})", "Token test-key", 400, "ttl_seconds"},
      {R"({"ttl_seconds": 3601})", "Token test-key", 400, "ttl_seconds"},
      {R"({"ttl_seconds": "60"})", "Token test-key", 400, "ttl_seconds"},
      {"[1]", "Token test-key", 400, "JSON object"},
      {"{not json", "Token test-key", 400, "JSON object"},
  };
  for (const Case &c : cases) {
    CAPTURE(c.body);
    CAPTURE(c.authorization);
    HttpResult r = grant(*sim, c.body, c.authorization);
    CHECK(r.status == c.status);
    CHECK(r.body.find(c.part) != std::string::npos);
    CHECK(r.headers["dg-request-id"].size() == 36);
  }
  HttpResult hour = grant(*sim, R"({"ttl_seconds": 3600})");
  CHECK(hour.status == 200);
  CHECK(parse_json(hour.body)["expires_in"].GetDouble() == doctest::Approx(3600));
  auto rec = sim->recorded("auth");
  REQUIRE(!rec.empty());
  CHECK(rec[0].kind == "http_request");
  CHECK(rec[0].path == "/v1/auth/grant");
}

}  // namespace voxline::simtest
