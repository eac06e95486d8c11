#include "voxline/net/url.hpp"

#include <doctest/doctest.h>

using namespace voxline;

TEST_CASE("parse_url splits scheme, host, default port and path for all four schemes") {
  auto u = parse_url("wss://api.deepgram.com/v1/listen?encoding=mulaw&sample_rate=8000");
  REQUIRE(u.ok());
  CHECK(u->tls);
  CHECK(u->is_websocket);
  CHECK(u->host == "api.deepgram.com");
  CHECK(u->port == 443);
  CHECK(u->path_and_query == "/v1/listen?encoding=mulaw&sample_rate=8000");
  CHECK(u->host_header() == "api.deepgram.com");
  auto h = parse_url("http://127.0.0.1:8080");
  REQUIRE(h.ok());
  CHECK(!h->tls);
  CHECK(!h->is_websocket);
  CHECK(h->port == 8080);
  CHECK(h->path_and_query == "/");
  CHECK(h->host_header() == "127.0.0.1:8080");
  CHECK(parse_url("ws://x/").value().port == 80);
  CHECK(parse_url("HTTPS://x?q=1").value().path_and_query == "/?q=1");
}

TEST_CASE("parse_url handles IPv6 literals with brackets") {
  auto u = parse_url("ws://[::1]:9000/echo#frag");
  REQUIRE(u.ok());
  CHECK(u->host == "::1");
  CHECK(u->port == 9000);
  CHECK(u->path_and_query == "/echo");
  CHECK(u->host_header() == "[::1]:9000");
}

TEST_CASE("parse_url rejects bad schemes, hosts, ports and embedded credentials") {
  CHECK(parse_url("ftp://x/").status().code() == StatusCode::kInvalidArgument);
  CHECK(parse_url("no-scheme").status().code() == StatusCode::kInvalidArgument);
  CHECK(parse_url("http:///path").status().code() == StatusCode::kInvalidArgument);
  CHECK(parse_url("http://x:0/").status().code() == StatusCode::kInvalidArgument);
  CHECK(parse_url("http://x:70000/").status().code() == StatusCode::kInvalidArgument);
  CHECK(parse_url("http://x:12a/").status().code() == StatusCode::kInvalidArgument);
  CHECK(parse_url("http://x:/").status().code() == StatusCode::kInvalidArgument);
  CHECK(parse_url("http://user:pw@x/").status().code() == StatusCode::kInvalidArgument);
  CHECK(parse_url("http://[::1/").status().code() == StatusCode::kInvalidArgument);
  CHECK(parse_url("http://x/a b").status().code() == StatusCode::kInvalidArgument);
}
