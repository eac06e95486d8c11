#include "voxline/speech/deepgram_url.hpp"

#include <doctest/doctest.h>

#include <string>

using voxline::StatusCode;
using voxline::speech::check_identifier;
using voxline::speech::join_endpoint;
using voxline::speech::percent_encode;
using voxline::speech::QueryString;
using voxline::speech::UrlKind;

TEST_CASE("percent_encode keeps unreserved bytes and escapes everything else in upper-case hex") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("oil change") == "oil%20change");
  CHECK(percent_encode("a+b&c=d?e#f/g%") == "a%2Bb%26c%3Dd%3Fe%23f%2Fg%25");
  CHECK(percent_encode("caf\xC3\xA9") == "caf%C3%A9");
  CHECK(percent_encode(std::string("\0\n", 2)) == "%00%0A");
  CHECK(percent_encode("") == "");
}

TEST_CASE("QueryString keeps insertion order, repeats keys and writes booleans as literals") {
  QueryString q;
  CHECK(q.str().empty());
  q.add("model", "nova-3").add_bool("interim_results", true).add_bool("vad_events", false);
  q.add_int("sample_rate", 8000).add("keyterm", "VIN").add("keyterm", "oil change");
  CHECK(
      q.str() ==
      "model=nova-3&interim_results=true&vad_events=false&sample_rate=8000&keyterm=VIN&keyterm=oil%20change");
  QueryString k;
  k.add("a b", "x&y");
  CHECK(k.str() == "a%20b=x%26y");
}

TEST_CASE("join_endpoint appends path and query to a base URL and drops its trailing slashes") {
  QueryString q;
  q.add("model", "nova-3");
  auto u = join_endpoint("wss://api.deepgram.com", "/v1/listen", q, UrlKind::kWebsocket);
  REQUIRE(u.ok());
  CHECK(*u == "wss://api.deepgram.com/v1/listen?model=nova-3");
  u = join_endpoint("ws://127.0.0.1:8080/deepgram//", "/v1/listen", q, UrlKind::kWebsocket);
  REQUIRE(u.ok());
  CHECK(*u == "ws://127.0.0.1:8080/deepgram/v1/listen?model=nova-3");
  u = join_endpoint("https://api.deepgram.com/", "/v1/speak", QueryString(), UrlKind::kHttp);
  REQUIRE(u.ok());
  CHECK(*u == "https://api.deepgram.com/v1/speak");
}

TEST_CASE("join_endpoint refuses a base URL with the wrong scheme, a query, credentials or no host") {
  const QueryString q;
  for (const char *bad :
       {"https://api.deepgram.com", "ftp://x", "wss://api.deepgram.com?x=1", "wss://api.deepgram.com/#frag",
        "wss://user:pw@api.deepgram.com", "wss://", "api.deepgram.com", "wss://host:99999"}) {
    CAPTURE(bad);
    const auto u = join_endpoint(bad, "/v1/listen", q, UrlKind::kWebsocket);
    REQUIRE_FALSE(u.ok());
    CHECK(u.status().code() == StatusCode::kInvalidArgument);
    CHECK(u.status().message().find("base URL") != std::string::npos);
  }
  const auto ws_for_http = join_endpoint("wss://api.deepgram.com", "/v1/speak", q, UrlKind::kHttp);
  REQUIRE_FALSE(ws_for_http.ok());
  CHECK(ws_for_http.status().message().find("http or https") != std::string::npos);
}

TEST_CASE("check_identifier accepts model-like words and names the field and the bad byte otherwise") {
  CHECK(check_identifier("model", "nova-3").ok());
  CHECK(check_identifier("model", "aura-2-thalia-en").ok());
  CHECK(check_identifier("language", "en-US").ok());
  CHECK(check_identifier("model", "nova-2-general:v1.0_x").ok());
  const auto empty = check_identifier("STT model", "");
  CHECK(empty.code() == StatusCode::kInvalidArgument);
  CHECK(empty.message() == "STT model must not be empty");
  const auto space = check_identifier("STT model", "nova 3");
  CHECK(space.code() == StatusCode::kInvalidArgument);
  CHECK(space.message().find("STT model has byte 0x20 at position 4") != std::string::npos);
  CHECK(check_identifier("m", "a&b").message().find("'&'") != std::string::npos);
}
