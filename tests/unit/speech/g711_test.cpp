#include "voxline/speech/g711.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

using voxline::StatusCode;
using voxline::speech::kMulawSilence;
using voxline::speech::linear16_to_mulaw;
using voxline::speech::mulaw_decode;
using voxline::speech::mulaw_encode;
using voxline::speech::mulaw_to_linear16;

namespace {
// The ITU-T G.191 STL reference (g711.c, ulaw_compress / ulaw_expand) written out the way the
// reference does it, with a segment search loop instead of tables: an independent oracle.
uint8_t reference_compress(int16_t x) {
  int absno = x < 0 ? ((~x) >> 2) + 33 : (x >> 2) + 33;
  if (absno > 0x1FFF) absno = 0x1FFF;
  int i = absno >> 6;
  int segno = 1;
  while (i != 0) {
    ++segno;
    i >>= 1;
  }
  const int high_nibble = 0x0008 - segno;
  const int low_nibble = 0x000F - ((absno >> segno) & 0x000F);
  int y = (high_nibble << 4) | low_nibble;
  if (x >= 0) y |= 0x0080;
  return static_cast<uint8_t>(y);
}

int reference_expand(uint8_t y) {
  const int sign = y < 0x80 ? -1 : 1;
  const int mantissa = ~y & 0xFF;
  const int exponent = (mantissa >> 4) & 0x07;
  const int segment = exponent + 1;
  const int step = 4 << segment;
  return sign * ((0x80 << exponent) + step * (mantissa & 0x0F) + step / 2 - 4 * 33);
}
}  // namespace

TEST_CASE("mu-law known values: silence, the end points and the smallest steps") {
  CHECK(kMulawSilence == 0xFF);
  CHECK(mulaw_decode(0xFF) == 0);
  CHECK(mulaw_decode(0x7F) == 0);  // the other silence code
  CHECK(mulaw_decode(0x00) == -32124);
  CHECK(mulaw_decode(0x80) == 32124);
  CHECK(mulaw_decode(0xFE) == 8);
  CHECK(mulaw_decode(0x7E) == -8);
  CHECK(mulaw_decode(0xEF) == 132);
  CHECK(mulaw_decode(0x6F) == -132);
  CHECK(mulaw_decode(0xF0) == 120);
  CHECK(mulaw_encode(0) == 0xFF);
  CHECK(mulaw_encode(-1) == 0x7F);  // one's complement: -1 is a zero level
  CHECK(mulaw_encode(-4) == 0x7F);
  CHECK(mulaw_encode(-5) == 0x7E);
  CHECK(mulaw_encode(8) == 0xFE);
  CHECK(mulaw_encode(132) == 0xEF);
  CHECK(mulaw_encode(32767) == 0x80);
  CHECK(mulaw_encode(-32768) == 0x00);
  CHECK(mulaw_encode(32124) == 0x80);
}

TEST_CASE("mu-law matches the ITU G.191 reference for every 16-bit sample and every code") {
  int mismatches = 0;
  for (int x = -32768; x <= 32767; ++x) {
    if (mulaw_encode(static_cast<int16_t>(x)) != reference_compress(static_cast<int16_t>(x))) ++mismatches;
  }
  CHECK(mismatches == 0);
  for (int code = 0; code < 256; ++code) {
    CAPTURE(code);
    CHECK(mulaw_decode(static_cast<uint8_t>(code)) == reference_expand(static_cast<uint8_t>(code)));
  }
}

TEST_CASE("mu-law round trips every code except the second zero, and stays monotonic") {
  for (int code = 0; code < 256; ++code) {
    CAPTURE(code);
    const uint8_t expected = code == 0x7F ? 0xFF : static_cast<uint8_t>(code);
    CHECK(mulaw_encode(mulaw_decode(static_cast<uint8_t>(code))) == expected);
  }
  int previous = -32768;
  int worst_error = 0;
  for (int x = -32768; x <= 32767; ++x) {
    const int y = mulaw_decode(mulaw_encode(static_cast<int16_t>(x)));
    REQUIRE(y >= previous);
    previous = y;
    if (x >= -32124 && x <= 32124) worst_error = std::max(worst_error, std::abs(y - x));
  }
  CHECK(worst_error <= 512 + 4);  // half the top segment's step (1024), plus the bias rounding
}

TEST_CASE("buffer conversions convert a Twilio frame and refuse short or NULL buffers") {
  std::vector<uint8_t> ulaw(160);
  for (size_t i = 0; i < ulaw.size(); ++i) ulaw[i] = static_cast<uint8_t>(i * 37 + 11);
  std::vector<int16_t> pcm(160, 1234);
  REQUIRE(mulaw_to_linear16(ulaw.data(), ulaw.size(), pcm.data(), pcm.size()).ok());
  for (size_t i = 0; i < pcm.size(); ++i) CHECK(pcm[i] == mulaw_decode(ulaw[i]));
  std::vector<uint8_t> back(160, 0);
  REQUIRE(linear16_to_mulaw(pcm.data(), pcm.size(), back.data(), back.size()).ok());
  for (size_t i = 0; i < back.size(); ++i) CHECK(back[i] == (ulaw[i] == 0x7F ? 0xFF : ulaw[i]));

  std::vector<int16_t> small(159, 7);
  auto s = mulaw_to_linear16(ulaw.data(), ulaw.size(), small.data(), small.size());
  CHECK(s.code() == StatusCode::kBufferTooSmall);
  CHECK(s.message() == "mulaw_to_linear16: 160 samples do not fit in 159");
  for (int16_t v : small) CHECK(v == 7);  // nothing written
  std::vector<uint8_t> small_out(10, 0);
  CHECK(linear16_to_mulaw(pcm.data(), pcm.size(), small_out.data(), small_out.size()).code() ==
        StatusCode::kBufferTooSmall);
  CHECK(mulaw_to_linear16(nullptr, 1, pcm.data(), pcm.size()).code() == StatusCode::kInvalidArgument);
  CHECK(linear16_to_mulaw(pcm.data(), 1, nullptr, 1).code() == StatusCode::kInvalidArgument);
  CHECK(mulaw_to_linear16(nullptr, 0, nullptr, 0).ok());  // nothing to do
}

TEST_CASE("conversions work in place at the start of one buffer") {
  std::vector<int16_t> buf(160);
  auto *bytes = reinterpret_cast<uint8_t *>(buf.data());
  std::vector<uint8_t> original(160);
  for (size_t i = 0; i < original.size(); ++i) original[i] = static_cast<uint8_t>(255 - i);
  std::copy(original.begin(), original.end(), bytes);
  REQUIRE(mulaw_to_linear16(bytes, original.size(), buf.data(), buf.size()).ok());
  for (size_t i = 0; i < buf.size(); ++i) CHECK(buf[i] == mulaw_decode(original[i]));
  const std::vector<int16_t> decoded = buf;
  REQUIRE(linear16_to_mulaw(buf.data(), buf.size(), bytes, buf.size() * 2).ok());
  for (size_t i = 0; i < original.size(); ++i) CHECK(bytes[i] == mulaw_encode(decoded[i]));
}
