// Fuzz target for AudioConverter: any bytes, in any frame sizes, between any two formats. The
// first 4 bytes pick the formats (encoding and rate of each side, rates outside the four
// included), the quality and the frame size; the rest is the audio. Properties: create() fails
// only with INVALID_ARGUMENT; convert() never writes more than max_output_bytes(); a half sample
// of linear16 is INVALID_ARGUMENT; and the stream cut into frames gives exactly the bytes of one
// call over it, flush included.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "voxline/audio/audio_converter.hpp"

using voxline::StatusCode;
using voxline::audio::AudioConverter;
using voxline::audio::AudioFormat;
using voxline::audio::SampleEncoding;

namespace {

AudioFormat format_of(uint8_t b) {
  static constexpr int kRates[] = {8000, 16000, 24000, 48000, 44100};
  static constexpr SampleEncoding kEncodings[] = {SampleEncoding::kLinear16, SampleEncoding::kMulaw,
                                                  SampleEncoding::kAlaw};
  return AudioFormat{kEncodings[(b >> 4) % 3], kRates[(b & 0x0F) % 5]};
}

// Converts `in` in frames of `frame` bytes (all of it when 0), then flushes; aborts on any error.
std::vector<uint8_t> run(AudioConverter &c, const uint8_t *in, size_t size, size_t frame) {
  if (frame == 0) frame = size == 0 ? 1 : size;
  std::vector<uint8_t> out;
  std::vector<uint8_t> buf(c.max_output_bytes(frame) > c.max_flush_bytes() ? c.max_output_bytes(frame)
                                                                           : c.max_flush_bytes());
  for (size_t pos = 0; pos < size; pos += frame) {
    const size_t n = size - pos < frame ? size - pos : frame;
    size_t written = 0;
    if (!c.convert(in + pos, n, buf.data(), buf.size(), &written).ok()) std::abort();
    if (written > c.max_output_bytes(n)) std::abort();
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(written));
  }
  size_t written = 0;
  if (!c.flush(buf.data(), buf.size(), &written).ok()) std::abort();
  out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(written));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  const AudioFormat from = format_of(data[0]);
  const AudioFormat to = format_of(data[1]);
  const int quality = data[2] % 12;  // 11 is out of range
  auto made = AudioConverter::create(from, to, quality);
  if (!made.ok()) {
    if (made.status().code() != StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  AudioConverter pieces = std::move(made).value();
  const uint8_t *audio = data + 4;
  size_t audio_size = size - 4;
  const size_t sample = voxline::audio::bytes_per_sample(from.encoding);
  if (audio_size % sample != 0) {
    size_t written = 0;
    std::vector<uint8_t> buf(pieces.max_output_bytes(audio_size));
    if (pieces.convert(audio, audio_size, buf.data(), buf.size(), &written).code() !=
        StatusCode::kInvalidArgument)
      std::abort();
    audio_size -= audio_size % sample;
  }
  const size_t frame = (static_cast<size_t>(data[3]) + 1) * sample;
  auto whole = AudioConverter::create(from, to, quality);
  if (!whole.ok()) std::abort();
  if (run(pieces, audio, audio_size, frame) != run(*whole, audio, audio_size, 0)) std::abort();
  return 0;
}
