#include "voxline/audio/g711.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "unit/audio/vectors.hpp"

using voxline::Status;
using voxline::StatusCode;
using voxline::audio::alaw_decode;
using voxline::audio::alaw_encode;
using voxline::audio::alaw_to_linear16;
using voxline::audio::kAlawSilence;
using voxline::audio::kMulawSilence;
using voxline::audio::linear16_to_alaw;
using voxline::audio::linear16_to_mulaw;
using voxline::audio::mulaw_decode;
using voxline::audio::mulaw_encode;
using voxline::audio::mulaw_to_linear16;

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

// G.191 STL alaw_compress / alaw_expand, as written there (16-bit left-justified in and out).
uint8_t reference_alaw_compress(int16_t x) {
  int ix = x < 0 ? (~x) >> 4 : x >> 4;
  if (ix > 15) {
    int iexp = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      ++iexp;
    }
    ix -= 16;
    ix += iexp << 4;
  }
  if (x >= 0) ix |= 0x0080;
  return static_cast<uint8_t>(ix ^ 0x0055);
}

int reference_alaw_expand(uint8_t y) {
  int ix = y ^ 0x0055;
  ix &= 0x007F;
  const int iexp = ix >> 4;
  int mant = ix & 0x000F;
  if (iexp > 0) mant = mant + 16;
  mant = (mant << 4) + 0x0008;
  if (iexp > 1) mant = mant << (iexp - 1);
  return y > 127 ? mant : -mant;
}

int16_t saturate(int x) {
  return static_cast<int16_t>(std::clamp(x, -32768, 32767));
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

TEST_CASE("A-law known values: silence, the end points and the smallest steps") {
  CHECK(kAlawSilence == 0xD5);
  CHECK(alaw_decode(0xD5) == 8);
  CHECK(alaw_decode(0x55) == -8);
  CHECK(alaw_decode(0xAA) == 32256);
  CHECK(alaw_decode(0x2A) == -32256);
  CHECK(alaw_decode(0xD4) == 24);
  CHECK(alaw_decode(0xC5) == 264);  // segment 1: steps of 16 continue past 256
  CHECK(alaw_encode(0) == 0xD5);
  CHECK(alaw_encode(15) == 0xD5);
  CHECK(alaw_encode(16) == 0xD4);
  CHECK(alaw_encode(-1) == 0x55);  // one's complement: -1 .. -16 are the smallest negative level
  CHECK(alaw_encode(-16) == 0x55);
  CHECK(alaw_encode(-17) == 0x54);
  CHECK(alaw_encode(32767) == 0xAA);
  CHECK(alaw_encode(-32768) == 0x2A);
}

TEST_CASE("A-law matches the ITU G.191 reference for every 16-bit sample and every code") {
  int mismatches = 0;
  for (int x = -32768; x <= 32767; ++x) {
    if (alaw_encode(static_cast<int16_t>(x)) != reference_alaw_compress(static_cast<int16_t>(x)))
      ++mismatches;
  }
  CHECK(mismatches == 0);
  for (int code = 0; code < 256; ++code) {
    CAPTURE(code);
    CHECK(alaw_decode(static_cast<uint8_t>(code)) == reference_alaw_expand(static_cast<uint8_t>(code)));
  }
}

TEST_CASE("A-law round trips every code and stays monotonic within half a step") {
  for (int code = 0; code < 256; ++code) {
    CAPTURE(code);
    CHECK(alaw_encode(alaw_decode(static_cast<uint8_t>(code))) == code);
  }
  int previous = -32768;
  int worst_error = 0;
  for (int x = -32768; x <= 32767; ++x) {
    const int y = alaw_decode(alaw_encode(static_cast<int16_t>(x)));
    REQUIRE(y >= previous);
    previous = y;
    if (x >= -32256 && x <= 32256) worst_error = std::max(worst_error, std::abs(y - x));
  }
  CHECK(worst_error == 512);  // half the top segment's step (1024)
}

TEST_CASE("A-law buffer conversions, in place too, and their errors") {
  std::vector<int16_t> buf(160);
  auto *bytes = reinterpret_cast<uint8_t *>(buf.data());
  for (size_t i = 0; i < buf.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 37 + 11);
  const std::vector<uint8_t> original(bytes, bytes + buf.size());
  REQUIRE(alaw_to_linear16(bytes, original.size(), buf.data(), buf.size()).ok());
  for (size_t i = 0; i < buf.size(); ++i) CHECK(buf[i] == alaw_decode(original[i]));
  REQUIRE(linear16_to_alaw(buf.data(), buf.size(), bytes, buf.size() * 2).ok());
  for (size_t i = 0; i < original.size(); ++i) CHECK(bytes[i] == original[i]);  // every code round trips

  std::vector<int16_t> small(159, 7);
  auto s = alaw_to_linear16(original.data(), original.size(), small.data(), small.size());
  CHECK(s.code() == StatusCode::kBufferTooSmall);
  CHECK(s.message() == "alaw_to_linear16: 160 samples do not fit in 159");
  for (int16_t v : small) CHECK(v == 7);  // nothing written
  std::vector<uint8_t> small_out(10, 0);
  CHECK(linear16_to_alaw(buf.data(), buf.size(), small_out.data(), small_out.size()).code() ==
        StatusCode::kBufferTooSmall);
  for (uint8_t v : small_out) CHECK(v == 0);
  CHECK(alaw_to_linear16(nullptr, 1, buf.data(), buf.size()).code() == StatusCode::kInvalidArgument);
  CHECK(linear16_to_alaw(buf.data(), 1, nullptr, 1).code() == StatusCode::kInvalidArgument);
  CHECK(linear16_to_alaw(nullptr, 0, nullptr, 0).ok());
}

// --- against SoX (tests/unit/audio/vectors, tools/gen_audio_vectors.sh) --------------------------

TEST_CASE("mu-law and A-law decoding match SoX for every code") {
  const std::vector<int16_t> ulaw = audio_vector_s16("g711_all_codes_ulaw.s16");
  const std::vector<int16_t> alaw = audio_vector_s16("g711_all_codes_alaw.s16");
  REQUIRE(ulaw.size() == 256);
  REQUIRE(alaw.size() == 256);
  for (int code = 0; code < 256; ++code) {
    CAPTURE(code);
    CHECK(mulaw_decode(static_cast<uint8_t>(code)) == ulaw[code]);
    CHECK(alaw_decode(static_cast<uint8_t>(code)) == alaw[code]);
  }
}

// SoX rounds the sample to the law's grid before quantising (14 bits for mu-law, 13 for A-law) where
// the ITU code truncates, and its mu-law negates a negative value where the ITU code takes the
// one's complement. So SoX's code for x is exactly ours for x + 2 (x - 2 below zero) in mu-law and
// for x + 4 in A-law: each decision threshold moves toward zero, and the inputs just below it get
// the next level out, further from them than ours (all of them in mu-law, nearly all in A-law).
TEST_CASE(
    "mu-law encoding equals SoX's for every 16-bit sample but SoX's rounding shift, and is never worse") {
  const std::vector<uint8_t> sox = audio_vector_bytes("g711_all_samples.ul");
  REQUIRE(sox.size() == 65536);
  int same = 0;
  int zero_sign = 0;  // SoX's -2 and -1 give the positive zero code: both codes decode to 0
  int shift_mismatches = 0;
  int worse = 0;
  double our_error = 0;
  double sox_error = 0;
  for (int x = -32768; x <= 32767; ++x) {
    const uint8_t theirs = sox[static_cast<size_t>(x + 32768)];
    const uint8_t ours = mulaw_encode(static_cast<int16_t>(x));
    if (ours == theirs) ++same;
    const uint8_t shifted = mulaw_encode(saturate(x >= 0 ? x + 2 : x - 2));
    if (shifted != theirs) {
      if (mulaw_decode(shifted) == 0 && mulaw_decode(theirs) == 0)
        ++zero_sign;
      else
        ++shift_mismatches;
    }
    if (x >= -32124 && x <= 32124) {
      const double e_ours = std::abs(mulaw_decode(ours) - x);
      const double e_sox = std::abs(mulaw_decode(theirs) - x);
      if (e_ours > e_sox) ++worse;
      our_error += e_ours * e_ours;
      sox_error += e_sox * e_sox;
    }
  }
  CHECK(same == 65536 - 510);  // two inputs below each of the 255 thresholds
  CHECK(shift_mismatches == 0);
  CHECK(zero_sign == 2);
  CHECK(worse == 0);
  CHECK(our_error < sox_error);
}

TEST_CASE(
    "A-law encoding equals SoX's for every 16-bit sample but SoX's rounding shift, and is never worse") {
  const std::vector<uint8_t> sox = audio_vector_bytes("g711_all_samples.al");
  REQUIRE(sox.size() == 65536);
  int same = 0;
  int shift_mismatches = 0;
  int better = 0;
  int worse = 0;
  double our_error = 0;
  double sox_error = 0;
  for (int x = -32768; x <= 32767; ++x) {
    const uint8_t theirs = sox[static_cast<size_t>(x + 32768)];
    const uint8_t ours = alaw_encode(static_cast<int16_t>(x));
    if (ours == theirs) ++same;
    if (alaw_encode(saturate(x + 4)) != theirs) ++shift_mismatches;
    if (x >= -32256 && x <= 32256) {
      const double e_ours = std::abs(alaw_decode(ours) - x);
      const double e_sox = std::abs(alaw_decode(theirs) - x);
      better += e_ours < e_sox;
      worse += e_ours > e_sox;
      our_error += e_ours * e_ours;
      sox_error += e_sox * e_sox;
    }
  }
  CHECK(same == 65536 - 1020);  // four inputs below each of the 255 thresholds
  CHECK(shift_mismatches == 0);
  // A-law's levels are the middles of its decision intervals, not the nearest levels, where the
  // step doubles (segment edges): there SoX's shift lands nearer by chance, on the negative side.
  CHECK(worse < better / 20);
  CHECK(our_error < sox_error);
}

TEST_CASE("a speech-like signal: SoX's codes decode bit-exactly, and ours differ only by SoX's rounding") {
  const std::vector<int16_t> signal = audio_vector_s16("signal_8k.s16");
  REQUIRE(signal.size() == 8000);
  struct Law {
    std::string name;
    const char *codes;
    const char *decoded;
    uint8_t (*encode)(int16_t);
    int16_t (*decode)(uint8_t);
    Status (*to_linear16)(const uint8_t *, size_t, int16_t *, size_t);
    Status (*from_linear16)(const int16_t *, size_t, uint8_t *, size_t);
  };
  const Law laws[] = {
      {"mu-law", "signal_8k.ul", "signal_8k_ulaw_decoded.s16", mulaw_encode, mulaw_decode, mulaw_to_linear16,
       linear16_to_mulaw},
      {"A-law", "signal_8k.al", "signal_8k_alaw_decoded.s16", alaw_encode, alaw_decode, alaw_to_linear16,
       linear16_to_alaw},
  };
  for (const Law &law : laws) {
    CAPTURE(law.name);
    const std::vector<uint8_t> sox_codes = audio_vector_bytes(law.codes);
    const std::vector<int16_t> sox_decoded = audio_vector_s16(law.decoded);
    REQUIRE(sox_codes.size() == signal.size());
    REQUIRE(sox_decoded.size() == signal.size());

    std::vector<int16_t> decoded(signal.size());
    REQUIRE(law.to_linear16(sox_codes.data(), sox_codes.size(), decoded.data(), decoded.size()).ok());
    CHECK(decoded == sox_decoded);

    std::vector<uint8_t> ours(signal.size());
    REQUIRE(law.from_linear16(signal.data(), signal.size(), ours.data(), ours.size()).ok());
    size_t differ = 0;
    size_t unexplained = 0;
    std::vector<int16_t> our_decoded(signal.size());
    for (size_t i = 0; i < signal.size(); ++i) {
      our_decoded[i] = law.decode(ours[i]);
      if (ours[i] == sox_codes[i]) continue;
      ++differ;
      const int x = signal[i];
      const bool mu = law.encode == mulaw_encode;
      const uint8_t shifted = law.encode(saturate(mu ? (x >= 0 ? x + 2 : x - 2) : x + 4));
      if (shifted != sox_codes[i] && !(law.decode(shifted) == 0 && law.decode(sox_codes[i]) == 0))
        ++unexplained;
    }
    CHECK(unexplained == 0);
    CHECK(differ > 0);                   // the signal does cross thresholds where SoX rounds differently ...
    CHECK(differ < signal.size() / 10);  // ... but rarely
    const double ours_snr = snr_db(signal, our_decoded, 0, signal.size());
    const double sox_snr = snr_db(signal, sox_decoded, 0, signal.size());
    CHECK(ours_snr >= sox_snr);
    CHECK(ours_snr > 30.0);  // G.711 gives about 38 dB on speech levels
    MESSAGE(law.name << ": " << differ << " of " << signal.size() << " codes differ from SoX's; SNR ours "
                     << ours_snr << " dB, SoX " << sox_snr << " dB");
  }
}
