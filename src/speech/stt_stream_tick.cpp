// SttStream: the coalescing tick on the slot thread (ring -> audio messages, Finalize and
// CloseStream once the audio before them is written, KeepAlive, the result and close deadlines)
// and the end of the stream (see stt_stream_impl.hpp for the file split).
#include <algorithm>

#include "speech/stt_stream_impl.hpp"
#include "voxline/audio/g711.hpp"
#include "voxline/core/log.hpp"

namespace voxline::speech {

Logger &SttStream::Impl::logger() const noexcept {
  return options_.logger != nullptr ? *options_.logger : default_logger();
}

void SttStream::Impl::schedule_tick() {
  // Ticks fall on a grid of the period shared by every stream with that period, so the slot
  // serves them in one loop pass instead of waking once per stream (slot CPU per stream-minute of
  // 20 ms frames, sim in-process: 200 streams 32 -> 26 ms, 1000 streams 11 -> 8 ms). A late tick
  // skips, never bursts.
  const SteadyTime now = Clock::system().now();
  const auto period = options_.coalesce.count();
  const auto since_epoch = now.time_since_epoch().count();
  next_tick_ = SteadyTime(SteadyTime::duration((since_epoch / period + 1) * period));
  std::weak_ptr<Impl> weak = weak_from_this();
  auto timer = slot_->schedule(next_tick_ - now, [weak] {
    if (auto self = weak.lock()) self->tick();
  });
  // A refusal means the Runtime is shutting down; its CANCELLED events end the connection.
  if (timer.ok()) tick_timer_ = *timer;
}

void SttStream::Impl::tick() {
  if (state_ == State::kClosed) return;
  const SteadyTime now = Clock::system().now();
  const size_t high_water = ring_.high_water();
  if (high_water > published_high_water_) {
    published_high_water_ = high_water;
    metrics_.ring_high_water->update_max(static_cast<int64_t>(high_water));
  }
  if (const size_t trimmed = ring_.trim()) metrics_.ring_dropped->inc(trimmed);
  if (close_requested_ && now >= close_deadline_) {
    metrics_.timeout_close->inc();
    Status s =
        timeout_error("SttStream close: Deepgram did not end the stream within " +
                      std::to_string(std::chrono::duration_cast<Millis>(options_.close_timeout).count()) +
                      " ms of close()");
    error_event(s, true);
    return finish(std::move(s));
  }
  if (state_ == State::kOpen) drain(close_requested_ || finalize_pending_);
  if (state_ == State::kOpen) send_controls(now);
  if (state_ == State::kOpen && now - last_audio_ >= options_.keepalive_interval) {
    if (conn_->send_control_text(kSttKeepAlive).ok()) {
      keepalives_.fetch_add(1, std::memory_order_relaxed);
      metrics_.keepalives->inc();
    }
    last_audio_ = now;
  }
  if (state_ == State::kOpen && options_.result_timeout > Duration::zero() && unanswered_since_ &&
      now - *unanswered_since_ >= options_.result_timeout) {
    metrics_.timeout_result->inc();
    fail_connection(
        timeout_error("no message from Deepgram for " +
                      std::to_string(std::chrono::duration_cast<Millis>(options_.result_timeout).count()) +
                      " ms while audio was flowing (half-open connection?)"));
  }
  if (state_ != State::kClosed) schedule_tick();
}

void SttStream::Impl::drain(bool flush) {
  while (state_ == State::kOpen) {
    const size_t avail = ring_.available();
    if (avail == 0 || (avail < coalesce_bytes_ && !flush)) return;
    WsBuffer b(std::min(avail, max_message_bytes_));
    b.resize(ring_.read(reinterpret_cast<uint8_t *>(b.data()), b.size()));
    if (b.empty()) return;
    if (!send_audio(std::move(b), *metrics_.sent_audio)) return;
  }
}

void SttStream::Impl::send_controls(SteadyTime now) {
  (void)now;
  if (!finalize_pending_ && !close_requested_) return;
  if (close_requested_ && ring_.available() > 0) return;  // the tail goes first
  // Priority messages overtake queued audio, and Finalize / CloseStream must not: wait until the
  // audio queued before them has been written.
  if (conn_->stats().queued != 0) return;
  if (finalize_pending_) {
    Status s = conn_->send_control_text(finalize_message());
    if (!s.ok()) return fail_connection(s.with_context("SttStream Finalize"));
    finalize_pending_ = false;
    finalize_awaited_ = true;
    finalizes_.fetch_add(1, std::memory_order_relaxed);
  }
  if (close_requested_) {
    Status s = conn_->send_control_text(kSttCloseStream);
    if (!s.ok()) return fail_connection(s.with_context("SttStream CloseStream"));
    state_ = State::kClosing;  // now only the last results, Metadata and the close are awaited
  }
}

bool SttStream::Impl::send_audio(WsBuffer buffer, Counter &kind) {
  const size_t n = buffer.size();
  // Recorded first: if the connection cannot take it, the next one gets it from the replay.
  replay_.append(reinterpret_cast<const uint8_t *>(buffer.data()), n);
  sent_.fetch_add(n, std::memory_order_relaxed);
  kind.inc(n);
  const SteadyTime now = Clock::system().now();
  if (conn_first_audio_ == SteadyTime{}) conn_first_audio_ = now;
  if (!unanswered_since_) unanswered_since_ = now;
  last_audio_ = now;
  Status s = conn_->send(std::move(buffer));
  if (s.ok()) return true;
  fail_connection(s.with_context("SttStream audio"));
  return false;
}

void SttStream::Impl::send_silence(Duration length) {
  WsBuffer b(bytes_for_duration(length));
  const char silence =
      options_.stt.encoding == AudioEncoding::kMulaw ? static_cast<char>(audio::kMulawSilence) : 0;
  std::fill(b.data(), b.data() + b.size(), silence);
  silence_.fetch_add(b.size(), std::memory_order_relaxed);
  (void)send_audio(std::move(b), *metrics_.sent_silence);
}

size_t SttStream::Impl::bytes_for_duration(Duration d) const noexcept {
  return static_cast<size_t>(
      std::max<uint64_t>(clock_.bytes(std::chrono::duration<double>(d).count()), clock_.sample_bytes));
}

void SttStream::Impl::fail_connection(Status cause) {
  connection_lost(std::move(cause));
}

void SttStream::Impl::error_event(const Status &status, bool fatal) {
  metrics_.error(status.code());
  if (handler_) handler_->on_error(SttStreamError{status, fatal});
}

void SttStream::Impl::finish(Status status) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  accepting_.store(false, std::memory_order_release);
  ++gen_;
  tick_timer_.cancel();
  reconnect_timer_.cancel();
  if (conn_) conn_->abort();  // a no-op after its terminal event
  conn_.reset();
  metrics_.streams_open->add(-1);
  SttClosedInfo info;
  info.status = std::move(status);
  info.metadata_received = metadata_received_;
  info.connections = connections_.load(std::memory_order_relaxed);
  std::shared_ptr<SttStreamHandler> h = std::move(handler_);
  if (h) h->on_closed(info);
}

}  // namespace voxline::speech
