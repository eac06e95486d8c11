// File: audio_converter.hpp
// AudioConverter: one stream direction's conversion between two AudioFormats, as one call per
// frame: decode (G.711 or little-endian PCM16) -> resample (audio/resampler.hpp) -> encode, on
// byte buffers the caller owns. The telephony paths it is for:
//   caller -> STT:  Twilio mulaw 8000 Hz -> linear16 16000 Hz
//   TTS -> caller:  linear16 24000 Hz    -> mulaw 8000 Hz
//
//   VOXLINE_ASSIGN_OR_RETURN(AudioConverter up, AudioConverter::create(kTwilioMulaw,
//   {SampleEncoding::kLinear16, 16000})); std::vector<uint8_t> out(up.max_output_bytes(160));    // once per
//   stream: 20 ms of mulaw in size_t n = 0; VOXLINE_RETURN_IF_ERROR(up.convert(frame, 160, out.data(),
//   out.size(), &n));  // n is ~640
//
// Streaming: the converter keeps the resampler's history, so frames of any sizes give the bytes
// one call over the whole stream gives; latency() and flush() are the resampler's. Equal rates
// skip the resampler; equal formats are a copy.
// Allocation: create() allocates the filter and a fixed scratch of kChunkSamples samples;
// convert() and flush() never allocate (a longer input is converted chunk by chunk).
// Errors are Status values, never crashes; a failed call writes nothing and leaves the stream as
// it was. Thread-safety: one thread at a time per AudioConverter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "voxline/audio/audio_format.hpp"
#include "voxline/audio/resampler.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"

namespace voxline::audio {

class VOXLINE_API AudioConverter {
 public:
  // Input samples per internal step: 40 ms at 48000 Hz, so a usual frame is one step.
  static constexpr size_t kChunkSamples = 1920;

  // A converter from `from` to `to`. INVALID_ARGUMENT for an unsupported rate or quality
  // (Resampler::create). Any thread.
  static Result<AudioConverter> create(AudioFormat from, AudioFormat to,
                                       int quality = kDefaultResampleQuality);

  // Converts in[0, in_bytes) (whole samples of `from`) into out[0, *out_bytes) in `to`; all of
  // the input is consumed. BUFFER_TOO_SMALL when out_capacity < max_output_bytes(in_bytes),
  // checked first; INVALID_ARGUMENT for a NULL `out_bytes`, a NULL buffer with a non-zero size,
  // or an odd in_bytes for linear16. `in` and `out` must not overlap.
  Status convert(const uint8_t *in, size_t in_bytes, uint8_t *out, size_t out_capacity, size_t *out_bytes);

  // Pushes out the samples the resampler holds (Resampler::flush), encoded in `to`: up to
  // max_flush_bytes(). Nothing to do without a resampler. Errors as for convert().
  Status flush(uint8_t *out, size_t out_capacity, size_t *out_bytes);

  // The most bytes convert() writes for in_bytes bytes of input, from any state.
  size_t max_output_bytes(size_t in_bytes) const noexcept;
  size_t max_flush_bytes() const noexcept;

  // Forgets the stream (Resampler::reset). Never fails.
  void reset() noexcept;
  // Output samples held back by the resampler (Resampler::latency).
  size_t latency() const noexcept { return resampler_.latency(); }

  AudioFormat from() const noexcept { return from_; }
  AudioFormat to() const noexcept { return to_; }

 private:
  AudioConverter(AudioFormat from, AudioFormat to, Resampler resampler);

  AudioFormat from_;
  AudioFormat to_;
  Resampler resampler_;             // equal rates: a copy
  std::vector<int16_t> decoded_;    // kChunkSamples: one step of input as PCM16
  std::vector<int16_t> resampled_;  // max_output(kChunkSamples), or the flush's samples
};

}  // namespace voxline::audio
