// Http1ResponseParser: framing by Content-Length, chunked coding and connection close, with the
// input split at every byte; interim and bodiless responses; keep-alive; malformed responses.
#include "net/http1_response_parser.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

using voxline::Status;
using voxline::StatusCode;
using voxline::detail::Http1Limits;
using voxline::detail::Http1ResponseEvents;
using voxline::detail::Http1ResponseParser;

namespace {

struct Recorder final : Http1ResponseEvents {
  int status = 0, minor = -1, completes = 0, heads = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  size_t refuse_after = SIZE_MAX;  // refuse the body once this many bytes arrived

  void on_http1_status(int s, int m) override {
    status = s;
    minor = m;
  }
  void on_http1_header(std::string_view n, std::string_view v) override { headers.emplace_back(n, v); }
  void on_http1_head_complete() override { ++heads; }
  bool on_http1_body(const char *d, size_t n) override {
    body.append(d, n);
    return body.size() < refuse_after;
  }
  void on_http1_message_complete() override { ++completes; }
};

struct Outcome {
  Status status;
  Recorder rec;
  bool complete = false, keep_alive = false;
};

// Feeds `wire` in two pieces split at `split` (SIZE_MAX: one piece), then EOF when asked.
Outcome run(const std::string &wire, size_t split = SIZE_MAX, bool eof = false, bool head = false) {
  Outcome o;
  Http1ResponseParser p;
  p.expect_response(head);
  if (split >= wire.size()) {
    o.status = p.feed(wire.data(), wire.size(), o.rec);
  } else {
    o.status = p.feed(wire.data(), split, o.rec);
    if (o.status.ok()) o.status = p.feed(wire.data() + split, wire.size() - split, o.rec);
  }
  if (o.status.ok() && eof) o.status = p.feed_eof(o.rec);
  o.complete = p.complete();
  o.keep_alive = p.keep_alive();
  return o;
}

// The same response byte by byte.
Outcome run_bytewise(const std::string &wire) {
  Outcome o;
  Http1ResponseParser p;
  p.expect_response(false);
  for (char c : wire) {
    o.status = p.feed(&c, 1, o.rec);
    if (!o.status.ok()) break;
  }
  o.complete = p.complete();
  o.keep_alive = p.keep_alive();
  return o;
}

const std::string kChunked =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream; charset=utf-8\r\n"
    "Transfer-Encoding: chunked\r\n"
    "x-request-id: req_1\r\n"
    "\r\n"
    "19\r\ndata: {\"n\":1,\"t\":\"h\xc3\xa9\"}\n\n\r\n"
    "d;name=ext\r\ndata: [DONE]\n\r\n"
    "0\r\n"
    "x-trailer: t\r\n"
    "\r\n";
const std::string kChunkedBody = "data: {\"n\":1,\"t\":\"h\xc3\xa9\"}\n\ndata: [DONE]\n";

}  // namespace

TEST_CASE("a chunked body is decoded the same whatever the split, and the connection stays reusable") {
  for (size_t split = 0; split <= kChunked.size(); ++split) {
    Outcome o = run(kChunked, split);
    INFO("split at " << split);
    REQUIRE(o.status.ok());
    CHECK(o.rec.status == 200);
    CHECK(o.rec.minor == 1);
    CHECK(o.rec.body == kChunkedBody);
    CHECK(o.rec.heads == 1);
    CHECK(o.rec.completes == 1);
    CHECK(o.complete);
    CHECK(o.keep_alive);
    REQUIRE(o.rec.headers.size() == 3);
    CHECK(o.rec.headers[2].first == "x-request-id");
    CHECK(o.rec.headers[2].second == "req_1");
  }
  Outcome b = run_bytewise(kChunked);
  REQUIRE(b.status.ok());
  CHECK(b.rec.body == kChunkedBody);
  CHECK(b.complete);
}

TEST_CASE("a Content-Length body ends at its length, byte by byte too") {
  const std::string wire =
      "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 11\r\nretry-after: 1\r\n\r\n{\"error\":1}";
  for (size_t split = 0; split <= wire.size(); ++split) {
    Outcome o = run(wire, split);
    REQUIRE(o.status.ok());
    CHECK(o.rec.status == 429);
    CHECK(o.rec.body == "{\"error\":1}");
    CHECK(o.complete);
    CHECK(o.keep_alive);
  }
  CHECK(run_bytewise(wire).rec.body == "{\"error\":1}");
}

TEST_CASE("a body without length ends with the connection, which is then not reusable") {
  const std::string wire = "HTTP/1.1 200 OK\r\n\r\npartial body";
  Outcome open = run(wire);
  REQUIRE(open.status.ok());
  CHECK_FALSE(open.complete);
  Outcome closed = run(wire, SIZE_MAX, /*eof=*/true);
  REQUIRE(closed.status.ok());
  CHECK(closed.complete);
  CHECK_FALSE(closed.keep_alive);
  CHECK(closed.rec.body == "partial body");
}

TEST_CASE("a connection closed before the response ends is an error, not a complete response") {
  Outcome mid = run("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc", SIZE_MAX, true);
  CHECK(mid.status.code() == StatusCode::kUnavailable);
  CHECK_FALSE(mid.complete);
  Outcome chunk = run("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab", SIZE_MAX, true);
  CHECK(chunk.status.code() == StatusCode::kUnavailable);
  Outcome head = run("HTTP/1.1 200 O", SIZE_MAX, true);
  CHECK(head.status.code() == StatusCode::kUnavailable);
}

TEST_CASE("1xx interim responses are skipped; 101 is refused") {
  Outcome o =
      run("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: x\r\n\r\n"
          "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
  REQUIRE(o.status.ok());
  CHECK(o.rec.status == 200);
  CHECK(o.rec.heads == 1);
  CHECK(o.rec.headers.size() == 1);  // only the final response's
  CHECK(o.rec.body == "ok");
  CHECK(run("HTTP/1.1 101 Switching Protocols\r\n\r\n").status.code() == StatusCode::kProtocolError);
}

TEST_CASE("HEAD, 204 and 304 responses have no body whatever their fields say") {
  Outcome head = run("HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n", SIZE_MAX, false, /*head=*/true);
  REQUIRE(head.status.ok());
  CHECK(head.complete);
  CHECK(head.keep_alive);
  CHECK(run("HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n").complete);
  CHECK(run("HTTP/1.1 304 Not Modified\r\n\r\n").complete);
}

TEST_CASE("keep-alive follows the version and the Connection field") {
  CHECK_FALSE(run("HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 0\r\n\r\n").keep_alive);
  CHECK_FALSE(run("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n").keep_alive);
  CHECK(run("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n").keep_alive);
  CHECK(run("HTTP/1.1 200 OK\r\nConnection: upgrade, keep-alive\r\ncontent-length: 0\r\n\r\n").keep_alive);
}

TEST_CASE("Transfer-Encoding overrides Content-Length, and a non-chunked coding reads to the close") {
  Outcome te =
      run("HTTP/1.1 200 OK\r\ncontent-length: 99\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
  REQUIRE(te.status.ok());
  CHECK(te.rec.body == "hi");
  CHECK(te.complete);
  Outcome gz = run("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nraw", SIZE_MAX, true);
  REQUIRE(gz.status.ok());
  CHECK(gz.rec.body == "raw");
  CHECK_FALSE(gz.keep_alive);
}

TEST_CASE("bare LF line endings are accepted") {
  Outcome o = run("HTTP/1.1 200 OK\ntransfer-encoding: chunked\n\n3\nabc\n0\n\n");
  REQUIRE(o.status.ok());
  CHECK(o.rec.body == "abc");
  CHECK(o.complete);
}

TEST_CASE("malformed responses are protocol errors and the parser stays failed") {
  const char *bad[] = {
      "HTTP/2 200 OK\r\n\r\n",                                                       // not HTTP/1.x
      "HTTP/1.1 2x0 OK\r\n\r\n",                                                     // status digits
      "HTTP/1.1 200OK\r\n\r\n",                                                      // no space after status
      "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",           // conflicting lengths
      "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",                               // not digits
      "HTTP/1.1 200 OK\r\nx: a\r\n  folded\r\n\r\n",                                 // obsolete line folding
      "HTTP/1.1 200 OK\r\nbad name: v\r\n\r\n",                                      // space in a field name
      "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",                                         // not a field
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",                 // chunk size
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1234567890abcdef0\r\n",  // chunk size overflow
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabc\r\n",  // data longer than its size
      "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA",                // bytes after the response
  };
  for (const char *wire : bad) {
    INFO(wire);
    Outcome o = run(wire);
    CHECK(o.status.code() == StatusCode::kProtocolError);
    CHECK_FALSE(o.keep_alive);
  }
  Http1ResponseParser p;
  Recorder r;
  const std::string no_request = "HTTP/1.1 200 OK\r\n\r\n";
  CHECK(p.feed(no_request.data(), no_request.size(), r).code() ==
        StatusCode::kProtocolError);  // none expected
}

TEST_CASE("a head over the limit fails without growing without bound") {
  Http1Limits limits;
  limits.max_head_bytes = 1024;
  Http1ResponseParser p(limits);
  Recorder r;
  p.expect_response(false);
  std::string wire = "HTTP/1.1 200 OK\r\n";
  Status st;
  for (int i = 0; i < 200 && st.ok(); ++i) {
    const std::string field = "x-filler-" + std::to_string(i) + ": 0123456789\r\n";
    st = p.feed(field.data(), field.size(), r);
  }
  CHECK(st.code() == StatusCode::kProtocolError);
  CHECK(r.heads == 0);
}

TEST_CASE("header fields past the limit are dropped, not an error") {
  Http1Limits limits;
  limits.max_headers = 2;
  Http1ResponseParser p(limits);
  Recorder r;
  p.expect_response(false);
  const std::string wire = "HTTP/1.1 200 OK\r\na: 1\r\nb: 2\r\nc: 3\r\ncontent-length: 0\r\n\r\n";
  REQUIRE(p.feed(wire.data(), wire.size(), r).ok());
  CHECK(r.headers.size() == 2);
  CHECK(p.complete());  // framing still read from every field
}

TEST_CASE("a reader that refuses the body stops the parse with CANCELLED") {
  Http1ResponseParser p;
  Recorder r;
  r.refuse_after = 3;
  p.expect_response(false);
  Status st = p.feed(kChunked.data(), kChunked.size(), r);
  CHECK(st.code() == StatusCode::kCancelled);
  CHECK_FALSE(p.keep_alive());
}

TEST_CASE("one parser reads consecutive responses of a kept-alive connection") {
  Http1ResponseParser p;
  for (int i = 0; i < 3; ++i) {
    Recorder r;
    p.expect_response(false);
    REQUIRE(p.feed(kChunked.data(), kChunked.size(), r).ok());
    CHECK(r.body == kChunkedBody);
    CHECK(p.keep_alive());
  }
}
