// SttStream's public API: options, open, push_audio (the producer side of the ring), the calls
// posted to the slot, stats and lifetime (see stt_stream.hpp; the rest of Impl is split by
// responsibility, listed in stt_stream_impl.hpp).
#include "voxline/speech/stt_stream.hpp"

#include <algorithm>

#include "speech/stt_stream_impl.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"

namespace voxline::speech {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Status check_range(const char *field, Duration value, Duration lo, Duration hi) {
  if (value >= lo && value <= hi) return Status::Ok();
  return invalid_argument(std::string("SttStreamOptions.") + field + " must be between " +
                          std::to_string(std::chrono::duration_cast<milliseconds>(lo).count()) + " and " +
                          std::to_string(std::chrono::duration_cast<milliseconds>(hi).count()) + " ms");
}

SttAudioClock clock_of(const SttOptions &o) {
  SttAudioClock c;
  c.sample_bytes = bytes_per_sample(o.encoding);
  c.bytes_per_second = static_cast<uint64_t>(std::max(o.sample_rate, 0)) * c.sample_bytes;
  return c;
}

// Bytes of `d` of audio, whole samples, at least one sample.
size_t bytes_for(const SttAudioClock &c, Duration d) {
  const double s = std::chrono::duration<double>(d).count();
  return static_cast<size_t>(std::max<uint64_t>(c.bytes(s), c.sample_bytes));
}

}  // namespace

Status validate(const SttStreamOptions &o) {
  VOXLINE_RETURN_IF_ERROR(validate(o.stt));
  Result<HttpHeader> auth = authorization_header(o.auth);
  if (!auth.ok()) return auth.status().with_context("SttStreamOptions.auth");
  VOXLINE_RETURN_IF_ERROR(check_range("ring_capacity", o.ring_capacity, milliseconds(100), seconds(60)));
  VOXLINE_RETURN_IF_ERROR(check_range("coalesce", o.coalesce, milliseconds(5), milliseconds(500)));
  VOXLINE_RETURN_IF_ERROR(check_range("max_message", o.max_message, o.coalesce, seconds(5)));
  VOXLINE_RETURN_IF_ERROR(check_range("initial_silence", o.initial_silence, Duration::zero(), seconds(1)));
  VOXLINE_RETURN_IF_ERROR(check_range("keepalive_interval", o.keepalive_interval, seconds(1), seconds(9)));
  VOXLINE_RETURN_IF_ERROR(check_range("connect_timeout", o.connect_timeout, milliseconds(1), seconds(60)));
  VOXLINE_RETURN_IF_ERROR(
      check_range("handshake_timeout", o.handshake_timeout, milliseconds(1), seconds(60)));
  VOXLINE_RETURN_IF_ERROR(check_range("result_timeout", o.result_timeout, Duration::zero(), seconds(600)));
  VOXLINE_RETURN_IF_ERROR(check_range("close_timeout", o.close_timeout, milliseconds(1), seconds(60)));
  VOXLINE_RETURN_IF_ERROR(check_range("replay_bound", o.replay_bound, Duration::zero(), seconds(60)));
  if (o.ring_capacity < o.max_message)
    return invalid_argument("SttStreamOptions.ring_capacity must hold at least max_message");
  if (o.ping_interval_s < 0 || o.ping_interval_s > 3600)
    return invalid_argument("SttStreamOptions.ping_interval_s must be between 0 and 3600");
  if (o.reconnect_backoff.max_attempts < 1)
    return invalid_argument("SttStreamOptions.reconnect_backoff.max_attempts must be at least 1");
  return Status::Ok();
}

SttStream::Impl::Impl(std::shared_ptr<Slot> slot, const SttStreamOptions &options,
                      std::shared_ptr<SttStreamHandler> handler, MetricsRegistry &metrics, std::string url,
                      HttpHeader auth)
    : slot_(std::move(slot)),
      options_(options),
      handler_(std::move(handler)),
      metrics_(metrics),
      url_(std::move(url)),
      auth_(std::move(auth)),
      clock_(clock_of(options.stt)),
      coalesce_bytes_(bytes_for(clock_, options.coalesce)),
      max_message_bytes_(bytes_for(clock_, options.max_message)),
      policy_(options.reconnect_backoff, {}, &metrics),
      ring_(bytes_for(clock_, options.ring_capacity), clock_.sample_bytes,
            options.overflow == SttOverflowPolicy::kDropOldest),
      replay_(clock_.bytes(std::chrono::duration<double>(options.replay_bound).count())) {
  metrics_.streams_open->add(1);
}

SttStream::Impl::~Impl() {
  if (state_ != State::kClosed) metrics_.streams_open->add(-1);
}

Status SttStream::Impl::push_audio(const void *data, size_t size) noexcept {
  // Status messages on this path fit the small-string buffer: no allocation per frame.
  if (data == nullptr && size != 0) return invalid_argument("NULL audio");
  if (size % clock_.sample_bytes != 0 || size > ring_.capacity()) return invalid_argument("bad frame size");
  if (!accepting_.load(std::memory_order_acquire)) return failed_precondition("stt closing");
  if (producing_.exchange(true, std::memory_order_acquire)) return failed_precondition("concurrent push");
  const bool stored = ring_.push(static_cast<const uint8_t *>(data), size);
  producing_.store(false, std::memory_order_release);  // hands the ring to the next producer thread
  if (!stored) {
    metrics_.ring_dropped->inc(size);
    return queue_full("stt ring full");
  }
  pushed_.fetch_add(size, std::memory_order_relaxed);
  return Status::Ok();
}

Status SttStream::Impl::post(void (Impl::*what)()) {
  std::shared_ptr<Impl> self = shared_from_this();
  return slot_->post([self, what] { (self.get()->*what)(); });
}

SttStreamStats SttStream::Impl::stats() const noexcept {
  SttStreamStats s;
  s.audio_bytes_pushed = pushed_.load(std::memory_order_relaxed);
  s.audio_bytes_sent = sent_.load(std::memory_order_relaxed);
  s.silence_bytes_sent = silence_.load(std::memory_order_relaxed);
  s.replayed_bytes = replayed_.load(std::memory_order_relaxed);
  s.replay_lost_bytes = replay_lost_.load(std::memory_order_relaxed);
  s.ring_dropped_bytes = ring_.dropped_bytes();
  s.ring_high_water_bytes = ring_.high_water();
  s.ring_capacity_bytes = ring_.capacity();
  s.keepalives_sent = keepalives_.load(std::memory_order_relaxed);
  s.finalizes_sent = finalizes_.load(std::memory_order_relaxed);
  s.results = results_.load(std::memory_order_relaxed);
  s.malformed = malformed_.load(std::memory_order_relaxed);
  s.connections = connections_.load(std::memory_order_relaxed);
  s.reconnects = reconnects_.load(std::memory_order_relaxed);
  return s;
}

void SttStream::Impl::start() {
  if (state_ != State::kIdle) return;
  connect();
  schedule_tick();
}

void SttStream::Impl::request_finalize() {
  if (state_ == State::kClosed || close_requested_) return;
  finalize_pending_ = true;  // written by the next tick once the audio before it is out
}

void SttStream::Impl::request_close() {
  if (state_ == State::kClosed || close_requested_) return;
  close_requested_ = true;
  accepting_.store(false, std::memory_order_release);
  close_deadline_ = Clock::system().now() + options_.close_timeout;
  if (state_ == State::kWaitingReconnect || state_ == State::kIdle) {
    reconnect_timer_.cancel();
    const uint64_t unsent = ring_.clear() + (replay_.end() - std::min(replay_.end(), final_end_));
    finish(unavailable("SttStream closed while reconnecting: " + std::to_string(unsent) +
                       " bytes of audio were not transcribed"));
  }
  // Connecting or open: the tick flushes the ring and sends CloseStream once connected.
}

void SttStream::Impl::request_abort() {
  if (state_ == State::kClosed) return;
  accepting_.store(false, std::memory_order_release);
  finish(cancelled("SttStream aborted"));
}

Result<std::unique_ptr<SttStream>> SttStream::open(std::shared_ptr<Slot> slot,
                                                   const SttStreamOptions &options,
                                                   std::shared_ptr<SttStreamHandler> handler,
                                                   MetricsRegistry *metrics) {
  if (slot == nullptr) return invalid_argument("SttStream::open: NULL slot");
  if (handler == nullptr) return invalid_argument("SttStream::open: NULL handler");
  VOXLINE_RETURN_IF_ERROR(validate(options));
  VOXLINE_ASSIGN_OR_RETURN(std::string url, stt_listen_url(options.stt));
  VOXLINE_ASSIGN_OR_RETURN(HttpHeader auth, authorization_header(options.auth));
  VOXLINE_RETURN_IF_ERROR(default_logger().redactor().add_secret(options.auth.credential));
  if (options.logger != nullptr)
    VOXLINE_RETURN_IF_ERROR(options.logger->redactor().add_secret(options.auth.credential));
  MetricsRegistry &m = metrics != nullptr ? *metrics : MetricsRegistry::global();
  auto impl = std::make_shared<Impl>(std::move(slot), options, std::move(handler), m, std::move(url),
                                     std::move(auth));
  VOXLINE_RETURN_IF_ERROR(impl->post(&Impl::start));
  return std::unique_ptr<SttStream>(new SttStream(std::move(impl)));
}

SttStream::SttStream(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

SttStream::~SttStream() {
  impl_->stop_accepting();
  (void)impl_->post(&Impl::request_abort);  // a no-op once closed; fails only after Runtime shutdown
}

Status SttStream::push_audio(const void *data, size_t size) noexcept {
  return impl_->push_audio(data, size);
}

Status SttStream::finalize() {
  if (impl_->closing()) return failed_precondition("SttStream::finalize after close");
  return impl_->post(&Impl::request_finalize);
}

Status SttStream::close() {
  impl_->stop_accepting();  // at once: audio pushed after close() returns is refused
  return impl_->post(&Impl::request_close);
}

void SttStream::abort() {
  impl_->stop_accepting();
  (void)impl_->post(&Impl::request_abort);
}

SttStreamStats SttStream::stats() const noexcept {
  return impl_->stats();
}

}  // namespace voxline::speech
