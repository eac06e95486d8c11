#include "voxline/audio/resampler.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "unit/audio/vectors.hpp"

using voxline::StatusCode;
using voxline::audio::is_supported_sample_rate;
using voxline::audio::kDefaultResampleQuality;
using voxline::audio::Resampler;

namespace {
constexpr int kRates[] = {8000, 16000, 24000, 48000};

Resampler make(int in_rate, int out_rate, int quality = kDefaultResampleQuality) {
  auto r = Resampler::create(in_rate, out_rate, quality);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  return std::move(r).value();
}

// The whole of `in` through `r` in frames of `frame` samples (20 ms when 0), then flush().
std::vector<int16_t> run(Resampler &r, const std::vector<int16_t> &in, size_t frame = 0, bool flush = true) {
  if (frame == 0) frame = static_cast<size_t>(r.in_rate() / 50);
  std::vector<int16_t> out;
  std::vector<int16_t> buf(std::max(r.max_output(frame), r.max_flush_output()));
  for (size_t pos = 0; pos < in.size(); pos += frame) {
    const size_t n = std::min(frame, in.size() - pos);
    size_t written = 0;
    REQUIRE(r.process(in.data() + pos, n, buf.data(), buf.size(), &written).ok());
    REQUIRE(written <= r.max_output(n));
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(written));
  }
  if (flush) {
    size_t written = 0;
    REQUIRE(r.flush(buf.data(), buf.size(), &written).ok());
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(written));
  }
  return out;
}

std::string pair_name(int a, int b) {
  return std::to_string(a) + " -> " + std::to_string(b);
}
}  // namespace

TEST_CASE("create takes only the four rates and qualities 0..10") {
  for (int rate : kRates) CHECK(is_supported_sample_rate(rate));
  for (int rate : {0, -8000, 11025, 22050, 32000, 44100, 96000}) CHECK_FALSE(is_supported_sample_rate(rate));
  auto bad_rate = Resampler::create(44100, 8000);
  REQUIRE_FALSE(bad_rate.ok());
  CHECK(bad_rate.status().code() == StatusCode::kInvalidArgument);
  CHECK(bad_rate.status().message() ==
        "Resampler: 44100 Hz -> 8000 Hz: rates must be 8000, 16000, 24000 or 48000");
  CHECK(Resampler::create(8000, 0).status().code() == StatusCode::kInvalidArgument);
  CHECK(Resampler::create(8000, 16000, 11).status().code() == StatusCode::kInvalidArgument);
  CHECK(Resampler::create(8000, 16000, -1).status().code() == StatusCode::kInvalidArgument);
  for (int q = 0; q <= 10; ++q) CHECK(Resampler::create(8000, 16000, q).ok());
  Resampler r = make(24000, 8000, 3);
  CHECK(r.in_rate() == 24000);
  CHECK(r.out_rate() == 8000);
  CHECK(r.quality() == 3);
}

TEST_CASE("max_output bounds every pair's output and saturates instead of wrapping") {
  CHECK(make(8000, 16000).max_output(160) == 321);
  CHECK(make(24000, 8000).max_output(480) == 161);
  CHECK(make(24000, 8000).max_output(1) == 2);
  CHECK(make(16000, 24000).max_output(3) == 6);  // ceil(4.5) + 1
  CHECK(make(16000, 16000).max_output(320) == 320);
  CHECK(make(8000, 48000).max_output(0) == 0);
  CHECK(make(8000, 48000).max_output(SIZE_MAX / 2) == SIZE_MAX);
}

TEST_CASE("NULL buffers, a short output buffer and a moved-from object are errors that change nothing") {
  Resampler r = make(8000, 16000);
  std::vector<int16_t> in = sine(440, 8000, 160, 8000);
  std::vector<int16_t> out(r.max_output(160), 7);
  size_t written = 99;
  CHECK(r.process(in.data(), in.size(), out.data(), out.size(), nullptr).code() ==
        StatusCode::kInvalidArgument);
  CHECK(r.process(nullptr, 1, out.data(), out.size(), &written).code() == StatusCode::kInvalidArgument);
  CHECK(r.process(in.data(), 1, nullptr, 0, &written).code() == StatusCode::kInvalidArgument);
  auto s = r.process(in.data(), in.size(), out.data(), out.size() - 1, &written);
  CHECK(s.code() == StatusCode::kBufferTooSmall);
  CHECK(s.message() == "Resampler::process: 160 samples at 8000 Hz need room for 321 at 16000 Hz, got 320");
  CHECK(written == 0);
  for (int16_t v : out) CHECK(v == 7);  // nothing written
  CHECK(r.flush(out.data(), 0, &written).code() == StatusCode::kBufferTooSmall);
  CHECK(r.flush(nullptr, 100, &written).code() == StatusCode::kInvalidArgument);
  CHECK(r.flush(out.data(), out.size(), nullptr).code() == StatusCode::kInvalidArgument);
  CHECK(r.process(nullptr, 0, nullptr, 0, &written).ok());  // nothing to do
  CHECK(written == 0);
  // The failed calls left the stream untouched: it continues as a fresh one.
  Resampler fresh = make(8000, 16000);
  CHECK(run(r, in) == run(fresh, in));

  Resampler taken = std::move(r);
  CHECK(r.process(in.data(), in.size(), out.data(), out.size(), &written).code() ==
        StatusCode::kFailedPrecondition);
  CHECK(r.flush(out.data(), out.size(), &written).code() == StatusCode::kFailedPrecondition);
  CHECK(taken.process(in.data(), in.size(), out.data(), out.size(), &written).ok());
}

TEST_CASE("every pair agrees with SoX's very-high-quality resampler to at least 45 dB SNR") {
  for (int a : kRates) {
    for (int b : kRates) {
      if (a == b) continue;
      CAPTURE(pair_name(a, b));
      const std::vector<int16_t> src = audio_vector_s16("resample_src_" + std::to_string(a) + ".s16");
      const std::vector<int16_t> sox =
          audio_vector_s16("resample_" + std::to_string(a) + "_to_" + std::to_string(b) + ".s16");
      Resampler r = make(a, b);
      const std::vector<int16_t> ours = run(r, src);
      const size_t expected = src.size() * static_cast<size_t>(b) / static_cast<size_t>(a);
      REQUIRE(sox.size() == expected);
      // Aligned with its input (no leading zeros) and, after flush(), as long as it.
      CHECK(ours.size() + 1 >= expected);
      CHECK(ours.size() <= expected + r.max_output(1));
      const size_t n = std::min(ours.size(), sox.size());
      const double snr = snr_db(sox, ours, 0, n);
      CHECK(snr >= 45.0);
      // Misaligned by one output sample, the same comparison falls apart: the check can fail.
      std::vector<int16_t> shifted(ours.begin() + 1, ours.end());
      CHECK(snr_db(sox, shifted, 0, n - 1) < 20.0);
      MESSAGE(pair_name(a, b) << ": " << snr << " dB, latency " << r.latency() << " samples");
    }
  }
}

TEST_CASE("a 1 kHz tone keeps its frequency and amplitude through every pair") {
  for (int a : kRates) {
    for (int b : kRates) {
      if (a == b) continue;
      CAPTURE(pair_name(a, b));
      const std::vector<int16_t> tone = sine(1000, a, static_cast<size_t>(a) / 2, 10000);  // 0.5 s
      Resampler r = make(a, b);
      const std::vector<int16_t> out = run(r, tone, 0, false);
      // The steady middle: away from the start transient and from the held-back tail.
      const size_t begin = static_cast<size_t>(b) / 20;
      const size_t end = out.size() - static_cast<size_t>(b) / 20;
      CHECK(tone_amplitude(out, begin, end, 1000, b) == doctest::Approx(10000).epsilon(0.01));
      // Frequency from the zero crossings: 2 per period.
      size_t crossings = 0;
      size_t first = 0;
      size_t last = 0;
      for (size_t i = begin + 1; i < end; ++i) {
        if ((out[i - 1] < 0) != (out[i] < 0)) {
          if (crossings == 0) first = i;
          last = i;
          ++crossings;
        }
      }
      const double hz = (static_cast<double>(crossings) - 1) / 2 / (static_cast<double>(last - first) / b);
      CHECK(hz == doctest::Approx(1000).epsilon(0.005));
    }
  }
}

TEST_CASE("downsampling removes content above the new Nyquist instead of folding it back") {
  for (int a : kRates) {
    for (int b : kRates) {
      if (b >= a) continue;
      CAPTURE(pair_name(a, b));
      // 0.65 of the output rate: above its Nyquist (0.5), inside the input's band; it would
      // alias to 0.35 of the output rate.
      const double hz = 0.65 * b;
      const std::vector<int16_t> tone = sine(hz, a, static_cast<size_t>(a) / 2, 10000);
      Resampler r = make(a, b);
      const std::vector<int16_t> out = run(r, tone, 0, false);
      const size_t begin = static_cast<size_t>(b) / 20;
      const size_t end = out.size() - static_cast<size_t>(b) / 20;
      // Everything that comes out (RMS), against the tone's RMS going in.
      const double attenuation_db =
          20 * std::log10(10000 / std::sqrt(2) / std::max(rms(out, begin, end), 1e-9));
      CHECK(attenuation_db > 60.0);
      MESSAGE(pair_name(a, b) << ": a " << hz << " Hz tone comes out " << attenuation_db << " dB down");
      // Keeping every (a/b)th sample instead folds it back at full level: the measure can fail.
      if (a % b != 0) continue;
      std::vector<int16_t> decimated;
      for (size_t i = 0; i < tone.size(); i += static_cast<size_t>(a / b)) decimated.push_back(tone[i]);
      const double folded_db = 20 * std::log10(10000 / std::sqrt(2) / rms(decimated, begin, end));
      CHECK(std::abs(folded_db) < 1.0);
      CHECK(tone_amplitude(decimated, begin, end, b - hz, b) == doctest::Approx(10000).epsilon(0.01));
    }
  }
}

TEST_CASE("a stream cut into odd-sized frames gives exactly the samples of one call") {
  for (int a : kRates) {
    for (int b : kRates) {
      if (a == b) continue;
      CAPTURE(pair_name(a, b));
      const std::vector<int16_t> src = audio_vector_s16("resample_src_" + std::to_string(a) + ".s16");
      Resampler whole = make(a, b);
      const std::vector<int16_t> expected = run(whole, src, src.size());
      Resampler pieces = make(a, b);
      std::vector<int16_t> got;
      std::vector<int16_t> buf(pieces.max_output(1000) + pieces.max_flush_output());
      const size_t sizes[] = {1, 7, 13, 160, 3, 999, 2, 441, 37};
      size_t pos = 0;
      for (size_t k = 0; pos < src.size(); ++k) {
        const size_t n = std::min(sizes[k % 9], src.size() - pos);
        size_t written = 0;
        REQUIRE(pieces.process(src.data() + pos, n, buf.data(), buf.size(), &written).ok());
        REQUIRE(written <= pieces.max_output(n));
        got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(written));
        pos += n;
      }
      size_t written = 0;
      REQUIRE(pieces.flush(buf.data(), buf.size(), &written).ok());
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(written));
      CHECK(got == expected);
    }
  }
}

TEST_CASE("output sample k stands for input time k: an impulse lands where its time maps") {
  for (int a : kRates) {
    for (int b : kRates) {
      if (a == b) continue;
      CAPTURE(pair_name(a, b));
      std::vector<int16_t> impulse(static_cast<size_t>(a) / 10, 0);  // 100 ms
      const size_t at = static_cast<size_t>(a) / 20;                 // 50 ms in
      impulse[at] = 20000;
      Resampler r = make(a, b);
      const std::vector<int16_t> out = run(r, impulse);
      const auto peak = static_cast<size_t>(std::max_element(out.begin(), out.end()) - out.begin());
      CHECK(peak == static_cast<size_t>(b) / 20);
    }
  }
}

TEST_CASE("latency is what the filter holds back, and flush() lets it out") {
  for (int a : kRates) {
    for (int b : kRates) {
      if (a == b) continue;
      CAPTURE(pair_name(a, b));
      Resampler r = make(a, b);
      CHECK(r.latency() > 0);
      CHECK(r.latency() <= static_cast<size_t>(b) / 100);  // under 10 ms at the default quality
      const std::vector<int16_t> second = sine(300, a, static_cast<size_t>(a), 5000);  // 1 s
      const std::vector<int16_t> out = run(r, second, 0, false);
      const auto expected = static_cast<long>(b);
      CHECK(std::labs(static_cast<long>(out.size() + r.latency()) - expected) <= 1);
      std::vector<int16_t> tail(r.max_flush_output());
      size_t written = 0;
      REQUIRE(r.flush(tail.data(), tail.size(), &written).ok());
      CHECK(std::labs(static_cast<long>(out.size() + written) - expected) <= 1);
    }
  }
}

TEST_CASE("reset() forgets the stream: what follows comes out as from a new resampler") {
  const std::vector<int16_t> first = sine(700, 16000, 1234, 9000);
  const std::vector<int16_t> second = sine(1900, 16000, 3200, 7000);
  Resampler r = make(16000, 24000);
  (void)run(r, first, 0, false);
  r.reset();
  Resampler fresh = make(16000, 24000);
  CHECK(run(r, second) == run(fresh, second));
  // Without the reset the history shows: the check can fail.
  Resampler kept = make(16000, 24000);
  (void)run(kept, first, 0, false);
  Resampler fresh2 = make(16000, 24000);
  CHECK(run(kept, second) != run(fresh2, second));
}

TEST_CASE("equal rates are a copy, in place too, with no latency") {
  for (int rate : kRates) {
    CAPTURE(rate);
    Resampler r = make(rate, rate);
    CHECK(r.latency() == 0);
    CHECK(r.max_flush_output() == 0);
    std::vector<int16_t> in = sine(440, rate, 333, 12000);
    std::vector<int16_t> out(333);
    size_t written = 0;
    REQUIRE(r.process(in.data(), in.size(), out.data(), out.size(), &written).ok());
    CHECK(written == 333);
    CHECK(out == in);
    std::vector<int16_t> same = in;
    REQUIRE(r.process(same.data(), same.size(), same.data(), same.size(), &written).ok());
    CHECK(same == in);
    REQUIRE(r.flush(nullptr, 0, &written).ok());
    CHECK(written == 0);
    CHECK(r.process(in.data(), in.size(), out.data(), 332, &written).code() == StatusCode::kBufferTooSmall);
  }
}
