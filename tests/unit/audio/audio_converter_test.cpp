#include "voxline/audio/audio_converter.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "unit/audio/vectors.hpp"
#include "voxline/audio/g711.hpp"

using voxline::StatusCode;
using voxline::audio::alaw_decode;
using voxline::audio::AudioConverter;
using voxline::audio::AudioFormat;
using voxline::audio::kTwilioMulaw;
using voxline::audio::mulaw_decode;
using voxline::audio::mulaw_encode;
using voxline::audio::Resampler;
using voxline::audio::SampleEncoding;

namespace {
constexpr AudioFormat kStt16k{SampleEncoding::kLinear16, 16000};
constexpr AudioFormat kTts24k{SampleEncoding::kLinear16, 24000};

AudioConverter make(AudioFormat from, AudioFormat to) {
  auto c = AudioConverter::create(from, to);
  REQUIRE_MESSAGE(c.ok(), c.status().to_string());
  return std::move(c).value();
}

std::vector<uint8_t> le_bytes(const std::vector<int16_t> &pcm) {
  std::vector<uint8_t> b(pcm.size() * 2);
  for (size_t i = 0; i < pcm.size(); ++i) {
    b[2 * i] = static_cast<uint8_t>(static_cast<uint16_t>(pcm[i]) & 0xFF);
    b[2 * i + 1] = static_cast<uint8_t>(static_cast<uint16_t>(pcm[i]) >> 8);
  }
  return b;
}

std::vector<int16_t> from_le(const std::vector<uint8_t> &b) {
  std::vector<int16_t> s(b.size() / 2);
  for (size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<int16_t>(static_cast<uint16_t>(b[2 * i] | (b[2 * i + 1] << 8)));
  return s;
}

// `in` through `c` in frames of `frame_bytes`, then flush().
std::vector<uint8_t> run(AudioConverter &c, const std::vector<uint8_t> &in, size_t frame_bytes) {
  std::vector<uint8_t> out;
  std::vector<uint8_t> buf(std::max(c.max_output_bytes(frame_bytes), c.max_flush_bytes()));
  for (size_t pos = 0; pos < in.size(); pos += frame_bytes) {
    const size_t n = std::min(frame_bytes, in.size() - pos);
    size_t written = 0;
    REQUIRE(c.convert(in.data() + pos, n, buf.data(), buf.size(), &written).ok());
    REQUIRE(written <= c.max_output_bytes(n));
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(written));
  }
  size_t written = 0;
  REQUIRE(c.flush(buf.data(), buf.size(), &written).ok());
  out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(written));
  return out;
}
}  // namespace

TEST_CASE("Twilio mulaw 8 kHz -> linear16 16 kHz is decode then resample, frame by frame") {
  const std::vector<uint8_t> ulaw = audio_vector_bytes("signal_8k.ul");  // SoX's codes of a real signal
  AudioConverter up = make(kTwilioMulaw, kStt16k);
  CHECK(up.from() == kTwilioMulaw);
  CHECK(up.to() == kStt16k);
  CHECK(up.max_output_bytes(160) == 642);  // 20 ms: 320 samples + 1, two bytes each
  const std::vector<int16_t> got = from_le(run(up, ulaw, 160));

  // The same chain by hand: SoX's decoding (bit-exact with ours) through a Resampler.
  const std::vector<int16_t> decoded = audio_vector_s16("signal_8k_ulaw_decoded.s16");
  auto r = Resampler::create(8000, 16000);
  REQUIRE(r.ok());
  std::vector<int16_t> expected(r->max_output(decoded.size()) + r->max_flush_output());
  size_t n = 0;
  size_t tail = 0;
  REQUIRE(r->process(decoded.data(), decoded.size(), expected.data(), expected.size(), &n).ok());
  REQUIRE(r->flush(expected.data() + n, expected.size() - n, &tail).ok());
  expected.resize(n + tail);
  CHECK(got == expected);
  CHECK(got.size() == 16000);
}

TEST_CASE("TTS linear16 24 kHz -> Twilio mulaw 8 kHz keeps a tone and matches SoX's resampling") {
  AudioConverter down = make(kTts24k, kTwilioMulaw);
  CHECK(down.max_output_bytes(960) == 161);  // 20 ms of 24 kHz PCM16 -> 160 mu-law bytes + 1
  const std::vector<int16_t> tone = sine(1000, 24000, 12000, 10000);  // 0.5 s
  const std::vector<uint8_t> ulaw = run(down, le_bytes(tone), 960);
  CHECK(ulaw.size() == 4000);
  std::vector<int16_t> decoded(ulaw.size());
  for (size_t i = 0; i < ulaw.size(); ++i) decoded[i] = mulaw_decode(ulaw[i]);
  CHECK(tone_amplitude(decoded, 400, 3600, 1000, 8000) == doctest::Approx(10000).epsilon(0.02));

  // SoX's 24 kHz -> 8 kHz of the speech-band source, mu-law encoded by us, against our chain.
  const std::vector<int16_t> src = audio_vector_s16("resample_src_24000.s16");
  const std::vector<int16_t> sox = audio_vector_s16("resample_24000_to_8000.s16");
  AudioConverter again = make(kTts24k, kTwilioMulaw);
  const std::vector<uint8_t> ours = run(again, le_bytes(src), 960);
  REQUIRE(ours.size() >= sox.size() - 1);
  std::vector<int16_t> ours_pcm(sox.size());
  std::vector<int16_t> sox_ulaw_pcm(sox.size());
  for (size_t i = 0; i < sox.size() && i < ours.size(); ++i) {
    ours_pcm[i] = mulaw_decode(ours[i]);
    sox_ulaw_pcm[i] = mulaw_decode(mulaw_encode(sox[i]));
  }
  // Both through mu-law: what is left is the two resamplers' difference plus G.711's noise.
  CHECK(snr_db(sox_ulaw_pcm, ours_pcm, 0, std::min(sox.size(), ours.size())) > 30.0);
}

TEST_CASE("every encoding pair at one rate is a pure codec step, and equal formats are a copy") {
  const std::vector<int16_t> pcm = audio_vector_s16("signal_8k.s16");
  const std::vector<uint8_t> ulaw = audio_vector_bytes("signal_8k.ul");
  const std::vector<uint8_t> alaw = audio_vector_bytes("signal_8k.al");
  AudioConverter u2a = make(kTwilioMulaw, {SampleEncoding::kAlaw, 8000});
  CHECK(u2a.latency() == 0);
  const std::vector<uint8_t> a = run(u2a, ulaw, 160);
  REQUIRE(a.size() == ulaw.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == voxline::audio::alaw_encode(mulaw_decode(ulaw[i])));
  AudioConverter a2l = make({SampleEncoding::kAlaw, 8000}, {SampleEncoding::kLinear16, 8000});
  const std::vector<int16_t> l = from_le(run(a2l, alaw, 160));
  REQUIRE(l.size() == alaw.size());
  for (size_t i = 0; i < l.size(); ++i) CHECK(l[i] == alaw_decode(alaw[i]));
  AudioConverter copy = make(kStt16k, kStt16k);
  const std::vector<uint8_t> bytes = le_bytes(pcm);
  CHECK(run(copy, bytes, 320) == bytes);
}

TEST_CASE("odd frame sizes give the bytes of one call, through every resampling chain") {
  const std::vector<int16_t> src = audio_vector_s16("resample_src_24000.s16");
  const AudioFormat formats[] = {
      kTwilioMulaw, kStt16k, kTts24k, {SampleEncoding::kAlaw, 8000}, {SampleEncoding::kLinear16, 48000}};
  for (const AudioFormat &from : formats) {
    for (const AudioFormat &to : formats) {
      if (from == to) continue;
      CAPTURE(from.sample_rate);
      CAPTURE(to.sample_rate);
      // An input in `from`: the 24 kHz source taken as PCM16 at from's rate, encoded as from's.
      std::vector<uint8_t> in;
      if (from.encoding == SampleEncoding::kLinear16) {
        in = le_bytes(src);
      } else {
        for (int16_t s : src)
          in.push_back(from.encoding == SampleEncoding::kMulaw ? mulaw_encode(s)
                                                               : voxline::audio::alaw_encode(s));
      }
      AudioConverter whole = make(from, to);
      const std::vector<uint8_t> expected = run(whole, in, in.size());
      AudioConverter pieces = make(from, to);
      std::vector<uint8_t> got;
      std::vector<uint8_t> buf(pieces.max_output_bytes(8000) + pieces.max_flush_bytes());
      const size_t samples[] = {1, 7, 160, 3, 2000, 13, 441};  // 2000 is more than one internal step
      const size_t size = voxline::audio::bytes_per_sample(from.encoding);
      size_t pos = 0;
      for (size_t k = 0; pos < in.size(); ++k) {
        const size_t n = std::min(samples[k % 7] * size, in.size() - pos);
        size_t written = 0;
        REQUIRE(pieces.convert(in.data() + pos, n, buf.data(), buf.size(), &written).ok());
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

TEST_CASE("bad formats, NULLs, half samples and short buffers are errors that write nothing") {
  auto bad = AudioConverter::create(kTwilioMulaw, {SampleEncoding::kLinear16, 44100});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
  CHECK(bad.status().message() ==
        "AudioConverter: Resampler: 8000 Hz -> 44100 Hz: rates must be 8000, 16000, 24000 or 48000");
  CHECK(AudioConverter::create(kTwilioMulaw, kStt16k, 42).status().code() == StatusCode::kInvalidArgument);

  AudioConverter c = make(kTts24k, kTwilioMulaw);
  std::vector<uint8_t> in = le_bytes(sine(500, 24000, 480, 9000));
  std::vector<uint8_t> out(c.max_output_bytes(in.size()), 0xAB);
  size_t n = 7;
  CHECK(c.convert(in.data(), in.size(), out.data(), out.size(), nullptr).code() ==
        StatusCode::kInvalidArgument);
  CHECK(c.convert(nullptr, 2, out.data(), out.size(), &n).code() == StatusCode::kInvalidArgument);
  CHECK(c.convert(in.data(), 2, nullptr, 10, &n).code() == StatusCode::kInvalidArgument);
  auto odd = c.convert(in.data(), 3, out.data(), out.size(), &n);
  CHECK(odd.code() == StatusCode::kInvalidArgument);
  CHECK(odd.message() == "AudioConverter::convert: 3 bytes is not a whole number of linear16 samples");
  auto small = c.convert(in.data(), in.size(), out.data(), out.size() - 1, &n);
  CHECK(small.code() == StatusCode::kBufferTooSmall);
  CHECK(small.message() ==
        "AudioConverter::convert: 960 bytes of linear16 at 24000 Hz need room for 161 bytes of mulaw at 8000 "
        "Hz, "
        "got 160");
  CHECK(n == 0);
  for (uint8_t b : out) CHECK(b == 0xAB);
  CHECK(c.flush(out.data(), 0, &n).code() == StatusCode::kBufferTooSmall);
  CHECK(c.flush(nullptr, 100, &n).code() == StatusCode::kInvalidArgument);
  CHECK(c.convert(nullptr, 0, nullptr, 0, &n).ok());
  // The failures left the stream untouched.
  AudioConverter fresh = make(kTts24k, kTwilioMulaw);
  CHECK(run(c, in, 960) == run(fresh, in, 960));
}

TEST_CASE("reset() forgets the stream, and latency() is the resampler's") {
  AudioConverter c = make(kTwilioMulaw, kStt16k);
  CHECK(c.latency() > 0);
  std::vector<uint8_t> first(800);
  for (size_t i = 0; i < first.size(); ++i) first[i] = static_cast<uint8_t>(i * 91 + 5);
  const std::vector<uint8_t> second = audio_vector_bytes("signal_8k.ul");
  (void)run(c, first, 160);
  c.reset();
  AudioConverter fresh = make(kTwilioMulaw, kStt16k);
  CHECK(run(c, second, 160) == run(fresh, second, 160));
}
