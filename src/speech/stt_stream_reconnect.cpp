// SttStream: what happens when a connection ends unexpectedly: the reconnect decision and its
// backoff, and the replay of the audio Deepgram had not finalized onto the new connection (see
// stt_stream_impl.hpp for the file split).
#include <algorithm>

#include "speech/stt_stream_impl.hpp"
#include "voxline/core/log.hpp"

namespace voxline::speech {

void SttStream::Impl::connection_lost(Status cause, std::optional<Duration> server_delay) {
  ++gen_;  // nothing more from the old connection reaches the owner
  if (conn_) conn_->abort();
  conn_.reset();
  // A Finalize that got no answer is sent again once the audio is replayed.
  finalize_pending_ = finalize_pending_ || finalize_awaited_;
  finalize_awaited_ = false;
  if (close_requested_ || !options_.reconnect || !is_reconnectable(cause)) {
    error_event(cause, true);
    return finish(std::move(cause));
  }
  RetryHints hints;
  hints.server_delay = server_delay;
  const RetryDecision d = policy_.decide(cause, attempt_, hints);
  if (!d.retry) {
    Status s = cause.with_context("SttStream stopped reconnecting (" + d.reason + ")");
    error_event(s, true);
    return finish(std::move(s));
  }
  error_event(cause, false);
  logger().logf(LogLevel::kWarn, "speech", "STT connection lost ({}); reconnect attempt {} in {} ms",
                cause.to_string(), attempt_, std::chrono::duration_cast<Millis>(d.delay).count());
  ++attempt_;
  reconnects_.fetch_add(1, std::memory_order_relaxed);
  metrics_.reconnects->inc();
  pending_cause_ = cause;
  pending_delay_ = d.delay;
  state_ = State::kWaitingReconnect;
  SttReconnectInfo info;
  info.attempt = attempt_ - 1;
  info.cause = std::move(cause);
  info.delay = d.delay;
  info.connection = connections_.load(std::memory_order_relaxed);
  info.clock_offset_s = clock_.seconds(replay_start());  // nothing is sent until it opens
  handler_->on_reconnecting(info);
  std::weak_ptr<Impl> weak = weak_from_this();
  auto timer = slot_->schedule(d.delay, [weak] {
    auto self = weak.lock();
    if (self && self->state_ == State::kWaitingReconnect) self->connect();
  });
  if (!timer.ok()) return finish(timer.status());
  reconnect_timer_ = *timer;
}

uint64_t SttStream::Impl::replay_start() const noexcept {
  // From the end of the final text, unless replay_bound forgot that far back.
  return std::max(std::min(final_end_, replay_.end()), replay_.begin());
}

void SttStream::Impl::replay_onto_new_connection(SttReconnectInfo &info) {
  const uint64_t end = replay_.end();
  uint64_t from = replay_start();
  if (final_end_ < from) {  // more unfinalized audio than replay_bound keeps
    info.lost_bytes = from - final_end_;
    replay_lost_.fetch_add(info.lost_bytes, std::memory_order_relaxed);
    metrics_.replay_lost->inc(info.lost_bytes);
  }
  conn_base_ = from;  // Deepgram's 0 on this connection is this byte of the stream
  info.clock_offset_s = clock_.seconds(from);
  while (from < end) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(end - from, max_message_bytes_));
    WsBuffer b(n);
    (void)replay_.copy(from, n, reinterpret_cast<uint8_t *>(b.data()));
    Status s = conn_->send(std::move(b));
    if (!s.ok()) return fail_connection(s.with_context("SttStream replay"));
    from += n;
    info.replayed_bytes += n;
  }
  if (info.replayed_bytes == 0) return;
  replayed_.fetch_add(info.replayed_bytes, std::memory_order_relaxed);
  metrics_.sent_replay->inc(info.replayed_bytes);
  const SteadyTime now = Clock::system().now();
  conn_first_audio_ = now;
  last_audio_ = now;
  unanswered_since_ = now;
}

}  // namespace voxline::speech
