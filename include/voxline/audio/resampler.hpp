// File: resampler.hpp
// Resampler: a streaming PCM16 sample-rate converter between 8000, 16000, 24000 and 48000 Hz,
// built on libspeexdsp's resampler (a windowed-sinc polyphase filter, as VoIP stacks use). One
// object per stream direction: it keeps the filter history between calls, so a stream cut into
// frames of any sizes gives exactly the samples one call over the whole stream gives.
//
//   VOXLINE_ASSIGN_OR_RETURN(Resampler r, Resampler::create(24000, 8000));  // TTS -> telephone
//   std::vector<int16_t> out(r.max_output(480));                           // once, per stream
//   size_t n = 0;
//   VOXLINE_RETURN_IF_ERROR(r.process(frame, 480, out.data(), out.size(), &n));  // n is ~160
//
// Alignment and latency: output sample k stands for input time k / out_rate (the output is not
// delayed by zeros), so the filter holds back the last latency() output samples of what it was
// given; flush() pushes them out at the end of an utterance. Output counts per call therefore
// vary around in_count * out_rate / in_rate (fewer on the first calls), never above max_output().
// Same rate in and out: a copy (memmove), no filter, latency 0.
// Allocation: create() allocates the filter once; process(), flush() and reset() never allocate.
// Errors are Status values (INVALID_ARGUMENT, BUFFER_TOO_SMALL, FAILED_PRECONDITION on a
// moved-from object), never crashes; a failed call writes nothing and leaves the stream as it was.
// Thread-safety: one thread at a time per Resampler; distinct Resamplers are independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"

namespace voxline::audio {

// libspeexdsp's quality scale, 0 (cheapest) to 10 (best). 4 is libspeexdsp's own default: against
// SoX's very-high-quality resampler its output agrees to 50-69 dB SNR on speech-band content
// (tests/unit/audio/resampler_test.cpp), with 1.3-4 ms of latency (bench/audio_bench for the cost).
inline constexpr int kMinResampleQuality = 0;
inline constexpr int kMaxResampleQuality = 10;
inline constexpr int kDefaultResampleQuality = 4;

// True for the rates voxline converts between: 8000, 16000, 24000 and 48000.
VOXLINE_API bool is_supported_sample_rate(int hz) noexcept;

class VOXLINE_API Resampler {
 public:
  // A converter from in_rate to out_rate (both supported rates) at `quality`
  // (kMinResampleQuality..kMaxResampleQuality). INVALID_ARGUMENT otherwise. Any thread.
  static Result<Resampler> create(int in_rate, int out_rate, int quality = kDefaultResampleQuality);

  Resampler(Resampler &&other) noexcept;
  Resampler &operator=(Resampler &&other) noexcept;
  Resampler(const Resampler &) = delete;
  Resampler &operator=(const Resampler &) = delete;
  ~Resampler();

  // Converts in[0, in_count) into out[0, *written); all of the input is consumed. BUFFER_TOO_SMALL when
  // out_capacity < max_output(in_count) (checked before anything is read, so a sufficient buffer always
  // suffices); INVALID_ARGUMENT for a NULL `written`, or a NULL in/out with a non-zero count. `in` and `out`
  // must not overlap, except that with equal rates they may be the same buffer.
  Status process(const int16_t *in, size_t in_count, int16_t *out, size_t out_capacity, size_t *written);

  // Pushes out the samples the filter holds (as if latency's worth of silence followed), for the
  // end of an utterance: writes up to max_flush_output() samples. The stream then goes on as
  // after that silence. Errors as for process().
  Status flush(int16_t *out, size_t out_capacity, size_t *written);

  // The most samples process() writes for in_count input samples, from any state:
  // ceil(in_count * out_rate / in_rate) + 1 (in_count itself with equal rates; 0 for 0).
  size_t max_output(size_t in_count) const noexcept;
  // The most samples flush() writes.
  size_t max_flush_output() const noexcept;

  // Forgets the stream: the filter history and position, as right after create(). Never fails.
  void reset() noexcept;

  // Output samples the filter holds back at any time (0 with equal rates): the delay between the
  // input and its resampled output, in output samples at out_rate.
  size_t latency() const noexcept;

  int in_rate() const noexcept { return in_rate_; }
  int out_rate() const noexcept { return out_rate_; }
  int quality() const noexcept { return quality_; }

 private:
  struct Filter;  // libspeexdsp's state, so its header stays out of this one
  Resampler(int in_rate, int out_rate, int quality, std::unique_ptr<Filter> filter) noexcept;

  int in_rate_ = 0;
  int out_rate_ = 0;
  int quality_ = 0;
  std::unique_ptr<Filter> filter_;  // null with equal rates (a copy) and after a move
  bool moved_from_ = false;
};

}  // namespace voxline::audio
