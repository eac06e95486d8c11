#include "voxline/audio/resampler.hpp"

#include <speex/speex_resampler.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace voxline::audio {

struct Resampler::Filter {
  SpeexResamplerState *state = nullptr;
  size_t input_latency = 0;   // input samples of history the filter needs: half its length
  size_t output_latency = 0;  // the same delay in output samples

  ~Filter() {
    if (state != nullptr) speex_resampler_destroy(state);
  }
};

namespace {
// libspeexdsp counts in spx_uint32_t: longer calls are cut into chunks of this many inputs.
constexpr size_t kMaxChunk = size_t{1} << 20;

Status check_args(const int16_t *in, size_t in_count, const int16_t *out, size_t *written, const char *what) {
  if (written == nullptr) return invalid_argument(fmt::format("Resampler::{}: NULL written", what));
  if (in_count != 0 && (in == nullptr || out == nullptr))
    return invalid_argument(fmt::format("Resampler::{}: NULL buffer", what));
  return Status::Ok();
}
}  // namespace

bool is_supported_sample_rate(int hz) noexcept {
  return hz == 8000 || hz == 16000 || hz == 24000 || hz == 48000;
}

Resampler::Resampler(int in_rate, int out_rate, int quality, std::unique_ptr<Filter> filter) noexcept
    : in_rate_(in_rate), out_rate_(out_rate), quality_(quality), filter_(std::move(filter)) {}

Resampler::Resampler(Resampler &&other) noexcept
    : in_rate_(other.in_rate_),
      out_rate_(other.out_rate_),
      quality_(other.quality_),
      filter_(std::move(other.filter_)),
      moved_from_(other.moved_from_) {
  other.moved_from_ = true;
}

Resampler &Resampler::operator=(Resampler &&other) noexcept {
  if (this != &other) {
    in_rate_ = other.in_rate_;
    out_rate_ = other.out_rate_;
    quality_ = other.quality_;
    filter_ = std::move(other.filter_);
    moved_from_ = other.moved_from_;
    other.moved_from_ = true;
  }
  return *this;
}

Resampler::~Resampler() = default;

Result<Resampler> Resampler::create(int in_rate, int out_rate, int quality) {
  if (!is_supported_sample_rate(in_rate) || !is_supported_sample_rate(out_rate))
    return invalid_argument(fmt::format(
        "Resampler: {} Hz -> {} Hz: rates must be 8000, 16000, 24000 or 48000", in_rate, out_rate));
  if (quality < kMinResampleQuality || quality > kMaxResampleQuality)
    return invalid_argument(fmt::format("Resampler: quality {} is outside {}..{}", quality,
                                        kMinResampleQuality, kMaxResampleQuality));
  if (in_rate == out_rate) return Resampler(in_rate, out_rate, quality, nullptr);
  auto filter = std::make_unique<Filter>();
  int err = RESAMPLER_ERR_SUCCESS;
  filter->state = speex_resampler_init(1, static_cast<spx_uint32_t>(in_rate),
                                       static_cast<spx_uint32_t>(out_rate), quality, &err);
  if (filter->state == nullptr || err != RESAMPLER_ERR_SUCCESS)
    return Status(StatusCode::kInternal,
                  fmt::format("Resampler: speex_resampler_init({} -> {}, quality {}): {}", in_rate, out_rate,
                              quality, speex_resampler_strerror(err)));
  // Without this the output would start with latency() zeros; with it, output k is input time k.
  speex_resampler_skip_zeros(filter->state);
  filter->input_latency = static_cast<size_t>(speex_resampler_get_input_latency(filter->state));
  filter->output_latency = static_cast<size_t>(speex_resampler_get_output_latency(filter->state));
  return Resampler(in_rate, out_rate, quality, std::move(filter));
}

size_t Resampler::max_output(size_t in_count) const noexcept {
  if (in_rate_ <= 0 || in_count == 0) return 0;
  if (in_rate_ == out_rate_) return in_count;
  // Saturates instead of wrapping, so an absurd count can never pass the capacity check.
  if (in_count > std::numeric_limits<size_t>::max() / 8) return std::numeric_limits<size_t>::max();
  const auto in = static_cast<size_t>(in_rate_);
  const auto out = static_cast<size_t>(out_rate_);
  return in_count / in * out + (in_count % in * out + in - 1) / in + 1;
}

size_t Resampler::max_flush_output() const noexcept {
  return filter_ ? max_output(filter_->input_latency) : 0;
}

size_t Resampler::latency() const noexcept {
  return filter_ ? filter_->output_latency : 0;
}

void Resampler::reset() noexcept {
  if (!filter_) return;
  speex_resampler_reset_mem(filter_->state);
  speex_resampler_skip_zeros(filter_->state);
}

Status Resampler::process(const int16_t *in, size_t in_count, int16_t *out, size_t out_capacity,
                          size_t *written) {
  VOXLINE_RETURN_IF_ERROR(check_args(in, in_count, out, written, "process"));
  if (moved_from_) return failed_precondition("Resampler::process: moved-from object");
  *written = 0;
  const size_t needed = max_output(in_count);
  if (out_capacity < needed)
    return buffer_too_small(
        fmt::format("Resampler::process: {} samples at {} Hz need room for {} at {} Hz, got {}", in_count,
                    in_rate_, needed, out_rate_, out_capacity));
  if (in_count == 0) return Status::Ok();
  if (!filter_) {
    std::memmove(out, in, in_count * sizeof(int16_t));
    *written = in_count;
    return Status::Ok();
  }
  size_t done_in = 0;
  size_t done_out = 0;
  while (done_in < in_count) {
    const size_t chunk = std::min(in_count - done_in, kMaxChunk);
    auto in_len = static_cast<spx_uint32_t>(chunk);
    auto out_len = static_cast<spx_uint32_t>(std::min<size_t>(out_capacity - done_out, kMaxChunk * 8));
    speex_resampler_process_int(filter_->state, 0, in + done_in, &in_len, out + done_out, &out_len);
    done_out += out_len;
    if (in_len != chunk) {  // cannot happen with room for max_output(); reported, not looped on
      *written = done_out;
      return Status(StatusCode::kInternal, fmt::format("Resampler::process: the filter took {} of {} samples",
                                                       done_in + in_len, in_count));
    }
    done_in += chunk;
  }
  *written = done_out;
  return Status::Ok();
}

Status Resampler::flush(int16_t *out, size_t out_capacity, size_t *written) {
  if (written == nullptr) return invalid_argument("Resampler::flush: NULL written");
  if (moved_from_) return failed_precondition("Resampler::flush: moved-from object");
  *written = 0;
  if (!filter_) return Status::Ok();
  const size_t needed = max_flush_output();
  if (out == nullptr) return invalid_argument("Resampler::flush: NULL buffer");
  if (out_capacity < needed)
    return buffer_too_small(fmt::format(
        "Resampler::flush: the filter holds up to {} samples, got room for {}", needed, out_capacity));
  auto in_len = static_cast<spx_uint32_t>(filter_->input_latency);
  auto out_len = static_cast<spx_uint32_t>(out_capacity);
  // A NULL input makes libspeexdsp push zeros: the silence that lets the held samples out.
  speex_resampler_process_int(filter_->state, 0, nullptr, &in_len, out, &out_len);
  *written = out_len;
  return Status::Ok();
}

}  // namespace voxline::audio
