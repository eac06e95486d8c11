// G.711 encoders and a deterministic signal generator for simulated speech audio.
#include "sim/src/audio.hpp"

#include <cmath>

namespace voxline::sim::detail {

int bytes_per_sample(std::string_view encoding) {
  if (encoding == "linear16") return 2;
  if (encoding == "mulaw" || encoding == "alaw") return 1;
  return 0;
}

uint8_t linear_to_mulaw(int16_t sample) {
  constexpr int kBias = 0x84, kClip = 32635;
  int s = sample;
  int sign = (s >> 8) & 0x80;
  if (sign != 0) s = -s;
  if (s > kClip) s = kClip;
  s += kBias;
  int exponent = 7;
  for (int mask = 0x4000; (s & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
  int mantissa = (s >> (exponent + 3)) & 0x0F;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

uint8_t linear_to_alaw(int16_t sample) {
  int s = sample >> 3;  // 13-bit magnitude domain
  int mask;
  if (s >= 0) {
    mask = 0xD5;
  } else {
    mask = 0x55;
    s = -s - 1;
  }
  static const int kSegEnd[8] = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};
  int seg = 0;
  while (seg < 8 && s > kSegEnd[seg]) ++seg;
  if (seg >= 8) return static_cast<uint8_t>(0x7F ^ mask);
  int aval = seg << 4;
  aval |= seg < 2 ? (s >> 1) & 0x0F : (s >> seg) & 0x0F;
  return static_cast<uint8_t>(aval ^ mask);
}

std::string synth_audio(std::string_view encoding, int sample_rate, int64_t samples,
                        std::string_view waveform, double tone_hz, uint64_t *cursor) {
  const int bps = bytes_per_sample(encoding);
  std::string out;
  if (bps == 0 || samples <= 0 || sample_rate <= 0) return out;
  out.reserve(static_cast<size_t>(samples) * static_cast<size_t>(bps));
  constexpr double kTwoPi = 6.283185307179586;
  for (int64_t i = 0; i < samples; ++i) {
    uint64_t n = (*cursor)++;
    int16_t v = 0;
    if (waveform == "tone") {
      v = static_cast<int16_t>(8000.0 * std::sin(kTwoPi * tone_hz * static_cast<double>(n) / sample_rate));
    } else if (waveform == "noise") {
      uint64_t x = n * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG step: deterministic noise
      x ^= x >> 33;
      v = static_cast<int16_t>(static_cast<int64_t>(x % 16001) - 8000);
    }
    if (bps == 2) {
      auto u = static_cast<uint16_t>(v);
      out.push_back(static_cast<char>(u & 0xFF));
      out.push_back(static_cast<char>(u >> 8));
    } else if (encoding == "mulaw") {
      out.push_back(static_cast<char>(linear_to_mulaw(v)));
    } else {
      out.push_back(static_cast<char>(linear_to_alaw(v)));
    }
  }
  return out;
}

}  // namespace voxline::sim::detail
