#include "voxline/audio/audio_converter.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "voxline/audio/g711.hpp"

namespace voxline::audio {

namespace {
void decode(SampleEncoding e, const uint8_t *in, size_t count, int16_t *pcm) {
  switch (e) {
    case SampleEncoding::kMulaw:
      for (size_t i = 0; i < count; ++i) pcm[i] = mulaw_decode(in[i]);
      return;
    case SampleEncoding::kAlaw:
      for (size_t i = 0; i < count; ++i) pcm[i] = alaw_decode(in[i]);
      return;
    case SampleEncoding::kLinear16:
      // Byte by byte: the wire is little-endian whatever the host, and `in` may be unaligned.
      for (size_t i = 0; i < count; ++i)
        pcm[i] = static_cast<int16_t>(static_cast<uint16_t>(in[2 * i] | (in[2 * i + 1] << 8)));
      return;
  }
}

void encode(SampleEncoding e, const int16_t *pcm, size_t count, uint8_t *out) {
  switch (e) {
    case SampleEncoding::kMulaw:
      for (size_t i = 0; i < count; ++i) out[i] = mulaw_encode(pcm[i]);
      return;
    case SampleEncoding::kAlaw:
      for (size_t i = 0; i < count; ++i) out[i] = alaw_encode(pcm[i]);
      return;
    case SampleEncoding::kLinear16:
      for (size_t i = 0; i < count; ++i) {
        const auto u = static_cast<uint16_t>(pcm[i]);
        out[2 * i] = static_cast<uint8_t>(u & 0xFF);
        out[2 * i + 1] = static_cast<uint8_t>(u >> 8);
      }
      return;
  }
}

size_t saturating_mul(size_t a, size_t b) {
  return b != 0 && a > std::numeric_limits<size_t>::max() / b ? std::numeric_limits<size_t>::max() : a * b;
}
}  // namespace

AudioConverter::AudioConverter(AudioFormat from, AudioFormat to, Resampler resampler)
    : from_(from), to_(to), resampler_(std::move(resampler)) {
  decoded_.resize(kChunkSamples);
  resampled_.resize(std::max(resampler_.max_output(kChunkSamples), resampler_.max_flush_output()));
}

Result<AudioConverter> AudioConverter::create(AudioFormat from, AudioFormat to, int quality) {
  auto r = Resampler::create(from.sample_rate, to.sample_rate, quality);
  if (!r.ok()) return r.status().with_context("AudioConverter");
  return AudioConverter(from, to, std::move(r).value());
}

size_t AudioConverter::max_output_bytes(size_t in_bytes) const noexcept {
  return saturating_mul(resampler_.max_output(in_bytes / bytes_per_sample(from_.encoding)),
                        bytes_per_sample(to_.encoding));
}

size_t AudioConverter::max_flush_bytes() const noexcept {
  return resampler_.max_flush_output() * bytes_per_sample(to_.encoding);
}

void AudioConverter::reset() noexcept {
  resampler_.reset();
}

Status AudioConverter::convert(const uint8_t *in, size_t in_bytes, uint8_t *out, size_t out_capacity,
                               size_t *out_bytes) {
  if (out_bytes == nullptr) return invalid_argument("AudioConverter::convert: NULL out_bytes");
  *out_bytes = 0;
  if (in_bytes != 0 && (in == nullptr || out == nullptr))
    return invalid_argument("AudioConverter::convert: NULL buffer");
  const size_t in_size = bytes_per_sample(from_.encoding);
  if (in_bytes % in_size != 0)
    return invalid_argument(
        fmt::format("AudioConverter::convert: {} bytes is not a whole number of {} samples", in_bytes,
                    encoding_name(from_.encoding)));
  const size_t needed = max_output_bytes(in_bytes);
  if (out_capacity < needed)
    return buffer_too_small(
        fmt::format("AudioConverter::convert: {} bytes of {} at {} Hz need room for {} bytes "
                    "of {} at {} Hz, got {}",
                    in_bytes, encoding_name(from_.encoding), from_.sample_rate, needed,
                    encoding_name(to_.encoding), to_.sample_rate, out_capacity));
  if (in_bytes == 0) return Status::Ok();
  if (from_ == to_) {
    std::memcpy(out, in, in_bytes);
    *out_bytes = in_bytes;
    return Status::Ok();
  }
  const size_t out_size = bytes_per_sample(to_.encoding);
  const size_t count = in_bytes / in_size;
  const bool same_rate = from_.sample_rate == to_.sample_rate;
  size_t written = 0;  // output samples
  for (size_t done = 0; done < count;) {
    const size_t chunk = std::min(count - done, kChunkSamples);
    decode(from_.encoding, in + done * in_size, chunk, decoded_.data());
    const int16_t *pcm = decoded_.data();
    size_t produced = chunk;
    if (!same_rate) {
      Status s = resampler_.process(decoded_.data(), chunk, resampled_.data(), resampled_.size(), &produced);
      if (!s.ok()) {
        *out_bytes = written * out_size;
        return s.with_context("AudioConverter::convert");
      }
      pcm = resampled_.data();
    }
    encode(to_.encoding, pcm, produced, out + written * out_size);
    written += produced;
    done += chunk;
  }
  *out_bytes = written * out_size;
  return Status::Ok();
}

Status AudioConverter::flush(uint8_t *out, size_t out_capacity, size_t *out_bytes) {
  if (out_bytes == nullptr) return invalid_argument("AudioConverter::flush: NULL out_bytes");
  *out_bytes = 0;
  const size_t needed = max_flush_bytes();
  if (needed == 0) return Status::Ok();
  if (out == nullptr) return invalid_argument("AudioConverter::flush: NULL buffer");
  if (out_capacity < needed)
    return buffer_too_small(fmt::format(
        "AudioConverter::flush: the filter holds up to {} bytes, got room for {}", needed, out_capacity));
  size_t produced = 0;
  VOXLINE_RETURN_IF_ERROR(resampler_.flush(resampled_.data(), resampled_.size(), &produced));
  encode(to_.encoding, resampled_.data(), produced, out);
  *out_bytes = produced * bytes_per_sample(to_.encoding);
  return Status::Ok();
}

}  // namespace voxline::audio
