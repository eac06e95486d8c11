#include "voxline/speech/g711.hpp"

#include <array>

#include <fmt/format.h>

namespace voxline::speech {

namespace {
constexpr int kBias = 0x84;   // 132: 33 in the 14-bit domain, moved to 16 bits
constexpr int kClip = 32635;  // the largest magnitude that still fits after adding the bias

// Decoded value of every code (G.711 mu-law expansion scaled to 16 bits).
constexpr std::array<int16_t, 256> make_decode_table() {
  std::array<int16_t, 256> t{};
  for (int code = 0; code < 256; ++code) {
    const int u = ~code & 0xFF;
    const int exponent = (u >> 4) & 0x07;
    const int mantissa = u & 0x0F;
    const int magnitude = (((mantissa << 3) + kBias) << exponent) - kBias;
    t[code] = static_cast<int16_t>((u & 0x80) != 0 ? -magnitude : magnitude);
  }
  return t;
}

// Segment (exponent) of a biased magnitude, by its bits 7-14: the index of the highest set bit.
constexpr std::array<uint8_t, 256> make_segment_table() {
  std::array<uint8_t, 256> t{};
  for (int i = 1; i < 256; ++i) {
    int e = 0;
    while ((i >> (e + 1)) != 0) ++e;
    t[i] = static_cast<uint8_t>(e);
  }
  return t;
}

constexpr std::array<int16_t, 256> kDecode = make_decode_table();
constexpr std::array<uint8_t, 256> kSegment = make_segment_table();

static_assert(kDecode[0x00] == -32124 && kDecode[0x80] == 32124, "G.711 end points");
static_assert(kDecode[0xFF] == 0 && kDecode[0x7F] == 0, "G.711 zero codes");

Status check_buffers(const void *in, const void *out, size_t count, size_t capacity, const char *what) {
  if (count == 0) return Status::Ok();
  if (in == nullptr || out == nullptr) return invalid_argument(fmt::format("{}: NULL buffer", what));
  if (capacity < count)
    return buffer_too_small(fmt::format("{}: {} samples do not fit in {}", what, count, capacity));
  return Status::Ok();
}
}  // namespace

int16_t mulaw_decode(uint8_t code) noexcept {
  return kDecode[code];
}

uint8_t mulaw_encode(int16_t sample) noexcept {
  int x = sample;
  int sign = 0;
  if (x < 0) {
    x = ~x;  // one's complement, as the ITU reference: -1 -> 0
    sign = 0x80;
  }
  if (x > kClip) x = kClip;
  x += kBias;
  const int exponent = kSegment[(x >> 7) & 0xFF];
  const int mantissa = (x >> (exponent + 3)) & 0x0F;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

Status mulaw_to_linear16(const uint8_t *mulaw, size_t count, int16_t *pcm, size_t pcm_capacity) {
  VOXLINE_RETURN_IF_ERROR(check_buffers(mulaw, pcm, count, pcm_capacity, "mulaw_to_linear16"));
  // Back to front, so the bytes may sit at the start of `pcm` (each output lands at or after its input).
  for (size_t i = count; i-- > 0;) pcm[i] = kDecode[mulaw[i]];
  return Status::Ok();
}

Status linear16_to_mulaw(const int16_t *pcm, size_t count, uint8_t *mulaw, size_t mulaw_capacity) {
  VOXLINE_RETURN_IF_ERROR(check_buffers(pcm, mulaw, count, mulaw_capacity, "linear16_to_mulaw"));
  // Front to back, so `mulaw` may be the start of `pcm` (each output lands at or before its input).
  for (size_t i = 0; i < count; ++i) mulaw[i] = mulaw_encode(pcm[i]);
  return Status::Ok();
}

}  // namespace voxline::speech
