// WsFrameReader against RFC 6455 section 5: server frames built here byte by byte are parsed
// whole, one byte at a time and split at every offset, with the same messages each way; each
// protocol violation the reader must refuse is refused with 1002.
#include "net/ws_frame_reader.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace voxline::detail;

namespace {

// One unmasked server frame.
std::string frame(uint8_t opcode, const std::string &payload, bool fin = true, uint8_t extra_b0 = 0) {
  std::string f;
  f += static_cast<char>((fin ? 0x80 : 0) | extra_b0 | opcode);
  const size_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(n);
  } else if (n <= 0xFFFF) {
    f += static_cast<char>(126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xFF);
  } else {
    f += static_cast<char>(127);
    for (int s = 56; s >= 0; s -= 8) f += static_cast<char>((static_cast<uint64_t>(n) >> s) & 0xFF);
  }
  return f + payload;
}

struct Event {
  std::string kind;  // "text", "binary", "close", "ping", "pong"
  std::string payload;
  bool operator==(const Event &o) const { return kind == o.kind && payload == o.payload; }
};

struct Collect final : WsFrameSink {
  std::vector<Event> events;
  std::string cur;
  int pieces = 0;
  int stop_after = -1;  // stop feed() after this many callbacks
  int calls = 0;
  bool first_seen = false;
  bool on_ws_data(uint8_t opcode, const uint8_t *data, size_t len, bool first, bool last) override {
    if (first) {
      CHECK(cur.empty());
      first_seen = true;
    }
    CHECK(first_seen);
    cur.append(reinterpret_cast<const char *>(data), len);
    ++pieces;
    if (last) {
      events.push_back({opcode == kWsOpText ? "text" : "binary", cur});
      cur.clear();
      first_seen = false;
    }
    return ++calls != stop_after;
  }
  bool on_ws_control(uint8_t opcode, const uint8_t *payload, size_t len) override {
    events.push_back({opcode == kWsOpClose  ? "close"
                      : opcode == kWsOpPing ? "ping"
                                            : "pong",
                      std::string(reinterpret_cast<const char *>(payload), len)});
    return ++calls != stop_after;
  }
};

const uint8_t *bytes(const std::string &s) {
  return reinterpret_cast<const uint8_t *>(s.data());
}

std::vector<Event> parse_split(const std::string &wire, size_t cut, bool *failed = nullptr) {
  WsFrameReader r;
  Collect c;
  size_t used = r.feed(bytes(wire), cut, c);
  if (!r.failed()) {
    REQUIRE(used == cut);
    used = r.feed(bytes(wire) + cut, wire.size() - cut, c);
    if (!r.failed()) REQUIRE(used == wire.size() - cut);
  }
  if (failed != nullptr) *failed = r.failed();
  return c.events;
}

std::string refusal(const std::string &wire) {
  WsFrameReader r;
  Collect c;
  r.feed(bytes(wire), wire.size(), c);
  REQUIRE(r.failed());
  CHECK(r.error_code() == 1002);
  return r.error_reason();
}

}  // namespace

TEST_CASE("frames of every length form (7-bit, 16-bit, 64-bit) parse alike at every split point") {
  const std::string big(70000, 'b');
  const std::string mid(300, 'm');
  const std::string wire = frame(kWsOpText, "hello") + frame(kWsOpBinary, mid) + frame(kWsOpBinary, big) +
                           frame(kWsOpText, "") + frame(kWsOpPing, "p1") + frame(kWsOpPong, "");
  const std::vector<Event> want = {{"text", "hello"}, {"binary", mid}, {"binary", big},
                                   {"text", ""},      {"ping", "p1"},  {"pong", ""}};
  CHECK(parse_split(wire, wire.size()) == want);
  for (size_t cut = 0; cut < 330; ++cut) CHECK(parse_split(wire, cut) == want);
  for (size_t cut = wire.size() - 40; cut <= wire.size(); ++cut) CHECK(parse_split(wire, cut) == want);
}

TEST_CASE("fed one byte at a time, the reader gives the same messages") {
  const std::string wire = frame(kWsOpBinary, std::string(200, 'x')) + frame(kWsOpClose,
                                                                             "\x03\xe8"
                                                                             "bye");
  WsFrameReader r;
  Collect c;
  for (size_t i = 0; i < wire.size(); ++i) REQUIRE(r.feed(bytes(wire) + i, 1, c) == 1);
  CHECK_FALSE(r.failed());
  REQUIRE(c.events.size() == 2);
  CHECK(c.events[0] == Event{"binary", std::string(200, 'x')});
  CHECK(c.events[1] == Event{"close",
                             "\x03\xe8"
                             "bye"});
}

TEST_CASE("a fragmented message is one message, and control frames may interleave its fragments") {
  const std::string wire = frame(kWsOpText, "he", false) + frame(kWsOpPing, "mid") +
                           frame(kWsOpContinuation, "ll", false) + frame(kWsOpContinuation, "o", true);
  const std::vector<Event> want = {{"ping", "mid"}, {"text", "hello"}};
  for (size_t cut = 0; cut <= wire.size(); ++cut) CHECK(parse_split(wire, cut) == want);
}

TEST_CASE("payload arrives in runs as it lies in the buffer, without a copy per byte") {
  const std::string payload(4000, 'z');
  const std::string wire = frame(kWsOpBinary, payload);
  WsFrameReader r;
  Collect c;
  r.feed(bytes(wire), 1000, c);
  r.feed(bytes(wire) + 1000, 1000, c);
  r.feed(bytes(wire) + 2000, wire.size() - 2000, c);
  CHECK(c.pieces == 3);
  REQUIRE(c.events.size() == 1);
  CHECK(c.events[0].payload == payload);
}

TEST_CASE("a sink that returns false stops feed() right after that frame; the rest feeds later") {
  const std::string wire = frame(kWsOpText, "one") + frame(kWsOpText, "two") + frame(kWsOpText, "three");
  WsFrameReader r;
  Collect c;
  c.stop_after = 1;
  const size_t used = r.feed(bytes(wire), wire.size(), c);
  CHECK(used == frame(kWsOpText, "one").size());
  REQUIRE(c.events.size() == 1);
  c.stop_after = -1;
  CHECK(r.feed(bytes(wire) + used, wire.size() - used, c) == wire.size() - used);
  REQUIRE(c.events.size() == 3);
  CHECK(c.events[2].payload == "three");
}

TEST_CASE("protocol violations are refused with 1002 and a reason") {
  std::string masked = frame(kWsOpText, "abcd");
  masked[1] = static_cast<char>(masked[1] | 0x80);
  masked.insert(2, "\x01\x02\x03\x04");
  CHECK(std::string(refusal(masked)).find("masked") != std::string::npos);
  CHECK(refusal(frame(kWsOpText, "x", true, 0x40)).find("reserved") != std::string::npos);
  CHECK(refusal(frame(0x3, "x")).find("opcode") != std::string::npos);
  CHECK(refusal(frame(0xB, "")).find("opcode") != std::string::npos);
  CHECK(refusal(frame(kWsOpPing, "x", false)).find("fragmented control") != std::string::npos);
  CHECK(refusal(frame(kWsOpPing, std::string(126, 'p'))).find("125") != std::string::npos);
  CHECK(refusal(frame(kWsOpContinuation, "x")).find("continuation") != std::string::npos);
  CHECK(refusal(frame(kWsOpText, "a", false) + frame(kWsOpBinary, "b")).find("new data frame") !=
        std::string::npos);
  CHECK(refusal(frame(kWsOpClose, "\x03")).find("1-byte") != std::string::npos);
  CHECK(refusal(frame(kWsOpClose, std::string("\x03\xed", 2))).find("may not send") !=
        std::string::npos);  // 1005
  CHECK(refusal(frame(kWsOpClose, std::string("\x03\xee", 2))).find("may not send") !=
        std::string::npos);  // 1006
  CHECK(refusal(frame(kWsOpClose, std::string("\x00\x64", 2))).find("may not send") !=
        std::string::npos);  // 100
  std::string huge = "\x82\x7f";
  huge += std::string("\x80\x00\x00\x00\x00\x00\x00\x00", 8);
  CHECK(refusal(huge).find("top bit") != std::string::npos);
}

TEST_CASE("after a failure nothing more is consumed, even bytes that would parse") {
  const std::string wire = frame(0x3, "x") + frame(kWsOpText, "ok");
  WsFrameReader r;
  Collect c;
  r.feed(bytes(wire), wire.size(), c);
  REQUIRE(r.failed());
  CHECK(r.feed(bytes(wire), wire.size(), c) == 0);
  CHECK(c.events.empty());
}

TEST_CASE("close codes a peer may send are passed on, with and without a reason") {
  for (int code : {1000, 1001, 1003, 1008, 1011, 3000, 4999}) {
    std::string p;
    p += static_cast<char>(code >> 8);
    p += static_cast<char>(code & 0xFF);
    bool failed = true;
    const auto ev = parse_split(frame(kWsOpClose, p + "why"), 1, &failed);
    CHECK_FALSE(failed);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].payload == p + "why");
  }
  CHECK(parse_split(frame(kWsOpClose, ""), 1) == std::vector<Event>{{"close", ""}});
}

TEST_CASE("in_message() is true only between a message's first and last fragment") {
  WsFrameReader r;
  Collect c;
  const std::string a = frame(kWsOpBinary, "ab", false), b = frame(kWsOpContinuation, "cd");
  CHECK_FALSE(r.in_message());
  r.feed(bytes(a), a.size(), c);
  CHECK(r.in_message());
  r.feed(bytes(b), b.size(), c);
  CHECK_FALSE(r.in_message());
}
