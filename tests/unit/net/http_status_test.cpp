#include "voxline/net/http_status.hpp"

#include <doctest/doctest.h>

using namespace voxline;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("http status codes map to canonical status codes") {
  CHECK(status_from_http(200).ok());
  CHECK(status_from_http(204).ok());
  CHECK(status_from_http(401).code() == StatusCode::kUnauthenticated);
  CHECK(status_from_http(403).code() == StatusCode::kUnauthenticated);
  CHECK(status_from_http(429).code() == StatusCode::kRateLimited);
  CHECK(status_from_http(408).code() == StatusCode::kTimeout);
  CHECK(status_from_http(404).code() == StatusCode::kNotFound);
  CHECK(status_from_http(409).code() == StatusCode::kConflict);
  CHECK(status_from_http(400).code() == StatusCode::kInvalidArgument);
  CHECK(status_from_http(500).code() == StatusCode::kUnavailable);
  CHECK(status_from_http(503).code() == StatusCode::kUnavailable);
  CHECK(status_from_http(302).code() == StatusCode::kProtocolError);
  auto s = status_from_http(401, "{\"error\":\"bad key\"}");
  CHECK(s.message().find("HTTP 401") != std::string::npos);
  CHECK(s.message().find("bad key") != std::string::npos);
}

TEST_CASE("an HTTP error body or close reason quoted in a Status has its secrets masked") {
  const std::string key = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx";
  const Status s =
      status_from_http(401, R"({"error":{"message":"Incorrect API key provided: )" + key + R"("}})");
  CHECK(s.code() == StatusCode::kUnauthenticated);
  CHECK(s.message().find(key) == std::string::npos);
  CHECK(s.message().find("Incorrect API key provided") != std::string::npos);
  const Status c = status_from_close_code(1008, "bad auth: Token 0123456789abcdef0123456789abcdef01234567");
  CHECK(c.message().find("0123456789abcdef") == std::string::npos);
}

TEST_CASE("websocket close codes map to canonical status codes") {
  CHECK(status_from_close_code(1000).ok());
  // 1008 is Deepgram's DATA error (undecodable audio or payload), not an authentication failure.
  CHECK(status_from_close_code(1008, "DATA-0000").code() == StatusCode::kInvalidArgument);
  CHECK(status_from_close_code(1008, "DATA-0000").message().find("undecodable") != std::string::npos);
  CHECK(status_from_close_code(1011, "NET-0001").code() == StatusCode::kUnavailable);
  CHECK(status_from_close_code(1006).code() == StatusCode::kUnavailable);
  CHECK(status_from_close_code(1009).code() == StatusCode::kProtocolError);
  CHECK(status_from_close_code(4001).code() == StatusCode::kFailedPrecondition);
  CHECK(status_from_close_code(1011, "NET-0001").message().find("NET-0001") != std::string::npos);
}

TEST_CASE("retry-after parses delay seconds, decimals and HTTP dates relative to the wall clock") {
  ManualClock clock(WallTime(std::chrono::seconds(1445412480)));  // Wed, 21 Oct 2015 07:28:00 GMT
  CHECK(parse_retry_after("3", clock) == seconds(3));
  CHECK(parse_retry_after(" 1.5 ", clock) == milliseconds(1500));
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", clock) == seconds(30));
  CHECK(parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", clock) == seconds(60));
  CHECK(parse_retry_after("Wed Oct 21 07:28:10 2015", clock) == seconds(10));
  CHECK(parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", clock) == Duration::zero());
  CHECK(!parse_retry_after("soon", clock).has_value());
  CHECK(!parse_retry_after("-1", clock).has_value());
  CHECK(!parse_retry_after("", clock).has_value());
}

TEST_CASE("retry-after-ms wins over retry-after and header names are case-insensitive") {
  ManualClock clock;
  HttpHeaders h{{"Retry-After", "7"}, {"Retry-After-Ms", "250"}};
  CHECK(retry_after_from_headers(h, clock) == milliseconds(250));
  HttpHeaders only{{"RETRY-AFTER", "2"}};
  CHECK(retry_after_from_headers(only, clock) == seconds(2));
  CHECK(!retry_after_from_headers({}, clock).has_value());
  CHECK(find_header(only, "retry-after") == std::string_view("2"));
}
