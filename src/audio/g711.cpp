#include "voxline/audio/g711.hpp"

#include <array>

#include <fmt/format.h>

namespace voxline::audio {

namespace {
// Number of significant bits of v (0 for 0), for v < 128: the segment searches of the ITU code.
constexpr std::array<uint8_t, 128> make_bit_length_table() {
  std::array<uint8_t, 128> t{};
  for (int v = 1; v < 128; ++v) t[v] = static_cast<uint8_t>(t[v >> 1] + 1);
  return t;
}
constexpr std::array<uint8_t, 128> kBitLength = make_bit_length_table();

// --- mu-law: the code depends on the sample's top 14 bits only ---------------------------------
// ITU ulaw_compress for the 14-bit value v (the 16-bit sample >> 2).
constexpr uint8_t mulaw_code_of_14bit(int v) {
  const int magnitude = v < 0 ? ~v : v;  // one's complement: -1 is a zero level
  int biased = magnitude + 33;
  if (biased > 0x1FFF) biased = 0x1FFF;
  const int segment = 1 + kBitLength[biased >> 6];
  const int code = ((8 - segment) << 4) | (0x0F - ((biased >> segment) & 0x0F));
  return static_cast<uint8_t>(v >= 0 ? code | 0x80 : code);
}

// Indexed by the sample's bits 2-15 as unsigned (uint16_t(sample) >> 2), so one lookup encodes.
constexpr std::array<uint8_t, 1 << 14> make_mulaw_encode_table() {
  std::array<uint8_t, 1 << 14> t{};
  for (int i = 0; i < (1 << 14); ++i) t[i] = mulaw_code_of_14bit(i < (1 << 13) ? i : i - (1 << 14));
  return t;
}

// ITU ulaw_expand, scaled to 16 bits.
constexpr std::array<int16_t, 256> make_mulaw_decode_table() {
  std::array<int16_t, 256> t{};
  for (int code = 0; code < 256; ++code) {
    const int u = ~code & 0xFF;
    const int exponent = (u >> 4) & 0x07;
    const int mantissa = u & 0x0F;
    const int magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    t[code] = static_cast<int16_t>((u & 0x80) != 0 ? -magnitude : magnitude);
  }
  return t;
}

// --- A-law: the code depends on the sample's top 12 bits only (its finest step is 16) ----------
// ITU alaw_compress for the 12-bit value v (the 16-bit sample >> 4).
constexpr uint8_t alaw_code_of_12bit(int v) {
  int m = v < 0 ? ~v : v;  // one's complement, as the reference
  if (m > 15) {
    const int exponent = kBitLength[m >> 4];  // 1..7: the position of the leading bit above bit 3
    m = ((m >> (exponent - 1)) - 16) + (exponent << 4);
  }
  return static_cast<uint8_t>((v >= 0 ? m | 0x80 : m) ^ 0x55);
}

constexpr std::array<uint8_t, 1 << 12> make_alaw_encode_table() {
  std::array<uint8_t, 1 << 12> t{};
  for (int i = 0; i < (1 << 12); ++i) t[i] = alaw_code_of_12bit(i < (1 << 11) ? i : i - (1 << 12));
  return t;
}

// ITU alaw_expand, scaled to 16 bits.
constexpr std::array<int16_t, 256> make_alaw_decode_table() {
  std::array<int16_t, 256> t{};
  for (int code = 0; code < 256; ++code) {
    const int ix = (code ^ 0x55) & 0x7F;
    const int exponent = ix >> 4;
    int mantissa = ix & 0x0F;
    if (exponent > 0) mantissa += 16;
    mantissa = (mantissa << 4) + 8;
    if (exponent > 1) mantissa <<= exponent - 1;
    t[code] = static_cast<int16_t>(code > 127 ? mantissa : -mantissa);
  }
  return t;
}

constexpr std::array<uint8_t, 1 << 14> kMulawEncode = make_mulaw_encode_table();
constexpr std::array<int16_t, 256> kMulawDecode = make_mulaw_decode_table();
constexpr std::array<uint8_t, 1 << 12> kAlawEncode = make_alaw_encode_table();
constexpr std::array<int16_t, 256> kAlawDecode = make_alaw_decode_table();

static_assert(kMulawDecode[0x00] == -32124 && kMulawDecode[0x80] == 32124, "mu-law end points");
static_assert(kMulawDecode[0xFF] == 0 && kMulawDecode[0x7F] == 0, "mu-law zero codes");
static_assert(kMulawEncode[0] == 0xFF && kMulawEncode[(1 << 14) - 1] == 0x7F, "mu-law codes of 0 and -1");
static_assert(kAlawDecode[0x2A] == -32256 && kAlawDecode[0xAA] == 32256, "A-law end points");
static_assert(kAlawDecode[0xD5] == 8 && kAlawDecode[0x55] == -8, "A-law smallest levels");
static_assert(kAlawEncode[0] == 0xD5 && kAlawEncode[(1 << 12) - 1] == 0x55, "A-law codes of 0 and -1");

Status check_buffers(const void *in, const void *out, size_t count, size_t capacity, const char *what) {
  if (count == 0) return Status::Ok();
  if (in == nullptr || out == nullptr) return invalid_argument(fmt::format("{}: NULL buffer", what));
  if (capacity < count)
    return buffer_too_small(fmt::format("{}: {} samples do not fit in {}", what, count, capacity));
  return Status::Ok();
}
}  // namespace

int16_t mulaw_decode(uint8_t code) noexcept {
  return kMulawDecode[code];
}

uint8_t mulaw_encode(int16_t sample) noexcept {
  return kMulawEncode[static_cast<uint16_t>(sample) >> 2];
}

int16_t alaw_decode(uint8_t code) noexcept {
  return kAlawDecode[code];
}

uint8_t alaw_encode(int16_t sample) noexcept {
  return kAlawEncode[static_cast<uint16_t>(sample) >> 4];
}

Status mulaw_to_linear16(const uint8_t *mulaw, size_t count, int16_t *pcm, size_t pcm_capacity) {
  VOXLINE_RETURN_IF_ERROR(check_buffers(mulaw, pcm, count, pcm_capacity, "mulaw_to_linear16"));
  // Back to front, so the bytes may sit at the start of `pcm` (each output lands at or after its input).
  for (size_t i = count; i-- > 0;) pcm[i] = kMulawDecode[mulaw[i]];
  return Status::Ok();
}

Status linear16_to_mulaw(const int16_t *pcm, size_t count, uint8_t *mulaw, size_t mulaw_capacity) {
  VOXLINE_RETURN_IF_ERROR(check_buffers(pcm, mulaw, count, mulaw_capacity, "linear16_to_mulaw"));
  // Front to back, so `mulaw` may be the start of `pcm` (each output lands at or before its input).
  for (size_t i = 0; i < count; ++i) mulaw[i] = kMulawEncode[static_cast<uint16_t>(pcm[i]) >> 2];
  return Status::Ok();
}

Status alaw_to_linear16(const uint8_t *alaw, size_t count, int16_t *pcm, size_t pcm_capacity) {
  VOXLINE_RETURN_IF_ERROR(check_buffers(alaw, pcm, count, pcm_capacity, "alaw_to_linear16"));
  for (size_t i = count; i-- > 0;) pcm[i] = kAlawDecode[alaw[i]];  // back to front, as mu-law
  return Status::Ok();
}

Status linear16_to_alaw(const int16_t *pcm, size_t count, uint8_t *alaw, size_t alaw_capacity) {
  VOXLINE_RETURN_IF_ERROR(check_buffers(pcm, alaw, count, alaw_capacity, "linear16_to_alaw"));
  for (size_t i = 0; i < count; ++i) alaw[i] = kAlawEncode[static_cast<uint16_t>(pcm[i]) >> 4];
  return Status::Ok();
}

}  // namespace voxline::audio
