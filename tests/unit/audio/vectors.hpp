// Helpers of the audio tests: the SoX vectors in tests/unit/audio/vectors/ (raw mono files made by
// tools/gen_audio_vectors.sh) and the signal measures the resampler tests compare with.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

inline std::vector<uint8_t> audio_vector_bytes(const std::string &name) {
  std::ifstream in(std::string(VOXLINE_AUDIO_VECTORS) + "/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing vector " << name << " (tools/gen_audio_vectors.sh makes it)");
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A *.s16 vector: little-endian signed 16-bit samples.
inline std::vector<int16_t> audio_vector_s16(const std::string &name) {
  const std::vector<uint8_t> b = audio_vector_bytes(name);
  REQUIRE(b.size() % 2 == 0);
  std::vector<int16_t> s(b.size() / 2);
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<int16_t>(static_cast<uint16_t>(b[2 * i] | (b[2 * i + 1] << 8)));
  return s;
}

// 10 log10(signal energy / error energy) over [begin, end) of both.
inline double snr_db(const std::vector<int16_t> &reference, const std::vector<int16_t> &test, size_t begin,
                     size_t end) {
  double signal = 0;
  double error = 0;
  for (size_t i = begin; i < end; ++i) {
    const double r = reference[i];
    const double d = r - static_cast<double>(test[i]);
    signal += r * r;
    error += d * d;
  }
  return error == 0 ? 200.0 : 10.0 * std::log10(signal / error);
}

// Amplitude of the `hz` component of x[begin, end) at `rate` (a single-bin DFT, i.e. Goertzel).
inline double tone_amplitude(const std::vector<int16_t> &x, size_t begin, size_t end, double hz,
                             double rate) {
  const double pi = std::acos(-1.0);
  double re = 0;
  double im = 0;
  for (size_t i = begin; i < end; ++i) {
    const double phase = 2 * pi * hz * static_cast<double>(i) / rate;
    re += x[i] * std::cos(phase);
    im -= x[i] * std::sin(phase);
  }
  return 2 * std::sqrt(re * re + im * im) / static_cast<double>(end - begin);
}

// Root mean square of x[begin, end).
inline double rms(const std::vector<int16_t> &x, size_t begin, size_t end) {
  double sum = 0;
  for (size_t i = begin; i < end; ++i) sum += static_cast<double>(x[i]) * x[i];
  return std::sqrt(sum / static_cast<double>(end - begin));
}

// A sine of `amplitude` at `hz`, `count` samples at `rate`.
inline std::vector<int16_t> sine(double hz, double rate, size_t count, double amplitude) {
  const double pi = std::acos(-1.0);
  std::vector<int16_t> s(count);
  for (size_t i = 0; i < count; ++i)
    s[i] =
        static_cast<int16_t>(std::lround(amplitude * std::sin(2 * pi * hz * static_cast<double>(i) / rate)));
  return s;
}
