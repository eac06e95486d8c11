// Client websocket framing against RFC 6455 section 5.2, decoded by an independent reader here;
// the integration suites prove the same frames against voxline-sim's server parser.
#include "net/ws_frame.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

using namespace voxline::detail;

namespace {

struct Decoded {
  bool fin = false;
  int opcode = -1;
  bool masked = false;
  uint64_t length = 0;
  std::string payload;  // unmasked
};

// Reads one frame the way a server does: header fields in network order, then the masked body.
Decoded decode(const uint8_t *p, size_t total) {
  Decoded d;
  REQUIRE(total >= 2);
  d.fin = (p[0] & 0x80) != 0;
  REQUIRE((p[0] & 0x70) == 0);  // no RSV bits without an extension
  d.opcode = p[0] & 0x0F;
  d.masked = (p[1] & 0x80) != 0;
  size_t at = 2;
  const unsigned len7 = p[1] & 0x7F;
  if (len7 < 126) {
    d.length = len7;
  } else if (len7 == 126) {
    d.length = (uint64_t{p[2]} << 8) | p[3];
    at = 4;
  } else {
    for (int i = 0; i < 8; ++i) d.length = (d.length << 8) | p[2 + i];
    at = 10;
  }
  uint8_t key[4] = {0, 0, 0, 0};
  if (d.masked) {
    std::memcpy(key, p + at, 4);
    at += 4;
  }
  REQUIRE(total == at + d.length);
  for (uint64_t i = 0; i < d.length; ++i) d.payload.push_back(static_cast<char>(p[at + i] ^ key[i % 4]));
  return d;
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xFF);
  return s;
}

}  // namespace

TEST_CASE("a client frame carries FIN, the opcode, the masked bit and the shortest length form") {
  // 125 / 126 / 65535 / 65536 are the edges of the 7-bit, 16-bit and 64-bit length forms.
  const struct {
    size_t len;
    size_t header;
  } kCases[] = {{0, 6},    {1, 6},     {125, 6},    {126, 8},   {640, 8},
                {3200, 8}, {65535, 8}, {65536, 14}, {70001, 14}};
  for (const auto &c : kCases) {
    for (bool binary : {false, true}) {
      CAPTURE(c.len);
      CAPTURE(binary);
      const std::string original = pattern(c.len);
      std::vector<uint8_t> buf(kWsMaxClientHeader + c.len);
      uint8_t *payload = buf.data() + kWsMaxClientHeader;
      std::memcpy(payload, original.data(), c.len);
      const uint32_t mask = 0xA1B2C3D4u ^ static_cast<uint32_t>(c.len);
      const size_t header = ws_frame_client_message(payload, c.len, binary, mask);
      CHECK(header == c.header);
      const Decoded d = decode(payload - header, header + c.len);
      CHECK(d.fin);
      CHECK(d.opcode == (binary ? 2 : 1));
      CHECK(d.masked);
      CHECK(d.length == c.len);
      CHECK(d.payload == original);
      if (c.len >= 8) CHECK(std::memcmp(payload, original.data(), c.len) != 0);  // masked on the wire
    }
  }
}

TEST_CASE("masking twice with the same key gives the bytes back, at every alignment and length") {
  for (size_t len = 0; len < 40; ++len) {
    std::string s = pattern(len + 3);
    const std::string before = s;
    auto *p = reinterpret_cast<uint8_t *>(s.data()) + 3;  // unaligned on purpose
    ws_apply_mask(p, len, 0x01020304u);
    if (len > 0) CHECK(s != before);
    ws_apply_mask(p, len, 0x01020304u);
    CHECK(s == before);
  }
}

TEST_CASE("the mask source gives fresh keys across refills") {
  WsMaskSource source;
  std::set<uint32_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(source.next());  // spans 8 refills of 128 keys
  // 1000 draws from 2^32 collide with probability ~1e-4: a repeated or constant key fails here.
  CHECK(seen.size() >= 999);
}
