#include "voxline/net/sse_parser.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using voxline::SseEvent;
using voxline::SseParser;
using voxline::SseParserOptions;
using voxline::StatusCode;

namespace {

std::vector<SseEvent> parse_all(const std::string &bytes, bool *partial = nullptr) {
  SseParser p;
  std::vector<SseEvent> out;
  REQUIRE(p.feed(bytes, out).ok());
  if (partial != nullptr) *partial = p.has_partial_event();
  return out;
}

std::vector<std::string> recorded_streams() {
  std::vector<std::string> streams;
  std::vector<std::filesystem::path> files;
  for (const auto &e : std::filesystem::directory_iterator(VOXLINE_SSE_CORPUS_DIR)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto &f : files) {
    std::ifstream in(f, std::ios::binary);
    streams.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return streams;
}

}  // namespace

TEST_CASE("sse parser dispatches data events on a blank line and joins multi-line data with newline") {
  auto ev = parse_all("data: first\ndata: second\n\ndata: third\n\n");
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].data == "first\nsecond");
  CHECK(ev[0].event == "message");
  CHECK(ev[1].data == "third");
}

TEST_CASE("sse parser accepts LF, CRLF and lone CR line endings alike") {
  const auto lf = parse_all("event: a\ndata: x\n\ndata: y\n\n");
  const auto crlf = parse_all("event: a\r\ndata: x\r\n\r\ndata: y\r\n\r\n");
  const auto cr = parse_all("event: a\rdata: x\r\rdata: y\r\r");
  REQUIRE(lf.size() == 2);
  CHECK(lf == crlf);
  CHECK(lf == cr);
  CHECK(lf[0].event == "a");
}

TEST_CASE("sse parser treats a CR at the end of one chunk and LF at the start of the next as one break") {
  SseParser p;
  std::vector<SseEvent> out;
  REQUIRE(p.feed("data: a\r", out).ok());
  REQUIRE(p.feed("\n\r", out).ok());
  REQUIRE(out.size() == 1);
  REQUIRE(p.feed("\ndata: b\r\n\r\n", out).ok());
  REQUIRE(out.size() == 2);
  CHECK(out[1].data == "b");
}

TEST_CASE("sse parser gives the same events for mixed LF, CR and CRLF endings in one chunk as byte by byte") {
  // CRs before and after the next LF, a CRLF pair, a lone CR at the end: the line-end search
  // remembers where the next LF is while it steps over the CRs in front of it.
  const std::string bytes = "data: a\ndata: b\rdata: c\r\n\rid: 7\revent: e\ndata: d\r\n\ndata: f\r\r";
  const auto whole = parse_all(bytes);
  SseParser p;
  std::vector<SseEvent> bytewise;
  for (char c : bytes) REQUIRE(p.feed(std::string_view(&c, 1), bytewise).ok());
  REQUIRE(whole.size() == 3);
  CHECK(whole == bytewise);
  CHECK(whole[0].data == "a\nb\nc");
  CHECK(whole[1].data == "d");
  CHECK(whole[1].event == "e");
  CHECK(whole[1].id == "7");
  CHECK(whole[2].data == "f");
}

TEST_CASE("sse parser splits a large chunk of CR-only lines into every event") {
  std::string bytes;
  for (int i = 0; i < 20000; ++i) bytes += "data: " + std::to_string(i) + "\r\r";
  const auto ev = parse_all(bytes);
  REQUIRE(ev.size() == 20000);
  CHECK(ev.front().data == "0");
  CHECK(ev.back().data == "19999");
}

TEST_CASE("sse parser ignores comment lines such as keep-alive and bare colon") {
  auto ev = parse_all(": keep-alive\n\n:\n\n: OPENROUTER PROCESSING\ndata: ok\n\n");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].data == "ok");
}

TEST_CASE("sse parser dispatches an event with empty data but not a blank block without data") {
  auto ev = parse_all("data:\n\nretry: 100\n\nevent: x\n\ndata\n\n");
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].data.empty());
  CHECK(ev[1].data.empty());
  CHECK(ev[1].event == "message");  // the "event: x" block had no data and was discarded
}

TEST_CASE("sse parser records event, id and retry fields and strips exactly one leading space") {
  SseParser p;
  std::vector<SseEvent> out;
  REQUIRE(p.feed("event: delta\nid: 7\nretry: 2500\ndata:  two spaces\n\ndata:x\n\n", out).ok());
  REQUIRE(out.size() == 2);
  CHECK(out[0].event == "delta");
  CHECK(out[0].id == "7");
  CHECK(out[0].retry_ms == 2500);
  CHECK(out[0].data == " two spaces");
  CHECK(out[1].id == "7");  // the last event id persists
  CHECK(out[1].event == "message");
  CHECK(!out[1].retry_ms.has_value());
  CHECK(p.retry_ms() == 2500);
  CHECK(p.last_event_id() == "7");
}

TEST_CASE("sse parser ignores a non-numeric retry and unknown fields") {
  SseParser p;
  std::vector<SseEvent> out;
  REQUIRE(p.feed("retry: 12a\nfoo: bar\ndata: v\n\n", out).ok());
  REQUIRE(out.size() == 1);
  CHECK(!out[0].retry_ms.has_value());
  CHECK(!p.retry_ms().has_value());
}

TEST_CASE("sse parser strips a UTF-8 BOM only at the start of the stream") {
  auto ev = parse_all(
      "\xEF\xBB\xBF"
      "data: a\n\n\xEF\xBB\xBF"
      "data: b\n\n");
  REQUIRE(ev.size() == 1);  // the second BOM makes an unknown field name, so no data
  CHECK(ev[0].data == "a");
}

TEST_CASE("sse parser reports a partial event when the stream stops before the blank line") {
  bool partial = false;
  auto ev = parse_all("data: a\n\ndata: truncated", &partial);
  CHECK(ev.size() == 1);
  CHECK(partial);
  parse_all("data: a\n\n", &partial);
  CHECK(!partial);
}

TEST_CASE("sse parser refuses an event larger than max_event_bytes with PROTOCOL_ERROR and stays failed") {
  SseParser p(SseParserOptions{64});
  std::vector<SseEvent> out;
  REQUIRE(p.feed("data: small\n\n", out).ok());
  std::string big = "data: " + std::string(100, 'x');
  auto s = p.feed(big, out);  // no newline yet: the partial line alone is too big
  CHECK(s.code() == StatusCode::kProtocolError);
  CHECK(p.feed("\n\n", out).code() == StatusCode::kFailedPrecondition);
  CHECK(out.size() == 1);
  p.reset();
  REQUIRE(p.feed("data: again\n\n", out).ok());
  CHECK(out.size() == 2);
}

TEST_CASE("sse parser refuses many data lines that together pass max_event_bytes") {
  SseParser p(SseParserOptions{100});
  std::vector<SseEvent> out;
  voxline::Status s;
  for (int i = 0; i < 50 && s.ok(); ++i) s = p.feed("data: 0123456789\n", out);
  CHECK(s.code() == StatusCode::kProtocolError);
  CHECK(out.empty());
}

TEST_CASE("sse parser gives identical events for recorded streams split at every byte boundary") {
  const auto streams = recorded_streams();
  REQUIRE(streams.size() >= 5);
  for (const std::string &stream : streams) {
    bool whole_partial = false;
    const auto expected = parse_all(stream, &whole_partial);
    REQUIRE(!expected.empty());
    for (size_t cut = 0; cut <= stream.size(); ++cut) {
      SseParser p;
      std::vector<SseEvent> out;
      REQUIRE(p.feed(std::string_view(stream).substr(0, cut), out).ok());
      REQUIRE(p.feed(std::string_view(stream).substr(cut), out).ok());
      REQUIRE_MESSAGE(out == expected, "split at byte " << cut);
      CHECK(p.has_partial_event() == whole_partial);
    }
    // Two cuts (every pair) on the shorter streams, and one byte at a time on all.
    if (stream.size() <= 220) {
      for (size_t a = 0; a <= stream.size(); ++a)
        for (size_t b = a; b <= stream.size(); ++b) {
          SseParser p;
          std::vector<SseEvent> out;
          std::string_view sv(stream);
          REQUIRE(p.feed(sv.substr(0, a), out).ok());
          REQUIRE(p.feed(sv.substr(a, b - a), out).ok());
          REQUIRE(p.feed(sv.substr(b), out).ok());
          REQUIRE_MESSAGE(out == expected, "split at bytes " << a << " and " << b);
        }
    }
    SseParser p;
    std::vector<SseEvent> out;
    for (char c : stream) REQUIRE(p.feed(std::string_view(&c, 1), out).ok());
    CHECK(out == expected);
  }
}

TEST_CASE("sse parser decodes the recorded OpenAI stream into chunks ending with DONE") {
  const auto streams = recorded_streams();
  bool found = false;
  for (const auto &s : streams) {
    if (s.find("chatcmpl-1") == std::string::npos) continue;
    found = true;
    auto ev = parse_all(s);
    REQUIRE(ev.size() == 5);
    CHECK(ev.back().data == "[DONE]");
    CHECK(ev[2].data.find("caf\xc3\xa9") != std::string::npos);
  }
  CHECK(found);
}
