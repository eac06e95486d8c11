// WsConn writing: the deferred flush, the two send lanes written priority first in one socket
// write, control frames (ping, pong, close), and read flow control (see ws_conn.hpp for the
// threading rules).
#include "net/ws_conn.hpp"

#include "net/deliver.hpp"
#include "net/slot_loop.hpp"
#include "net/ws_frame.hpp"

namespace voxline::detail {

namespace {

// Messages written per flush or writable event at most, so one busy connection cannot starve
// others.
constexpr int kWriteBudget = 64;
// Stop taking messages off the lanes once this much waits for the socket: what is still queued
// stays in the lanes, where discard_queued() and take_unsent() can reach it.
constexpr size_t kMaxBacklog = 64 * 1024;

}  // namespace

void WsConn::request_flush() {
  if (flush_listed_ || terminal_) return;
  flush_listed_ = true;
  loop_->defer_flush(shared_from_this());
}

void WsConn::write_control_now() {
  // Inside this connection's own callbacks the deferred flush keeps the order; so does any
  // state but open, and a socket that is backed up.
  if (in_cb_ || in_write_ || stream_failed_ || pending_error_ || terminal_ || stream_ == nullptr ||
      phase_ != Phase::kOpen || stream_->backlog() > 0)
    return;
  const Written w = write_lanes(/*control_only=*/true);
  if (w.failed) return request_flush();  // reported from the flush, not inside this send
  if (w.messages > 0) send_since_ = now_ms();
}

void WsConn::flush() {
  flush_listed_ = false;
  if (terminal_) return;
  if (stream_failed_) return after_stream_failure();
  if (resume_posted_) {
    resume_delivery();
    if (terminal_) return;
  }
  write_more();
}

void WsConn::on_stream_writable() {
  std::shared_ptr<WsConn> keep = shared_from_this();
  if (terminal_) return;
  write_more();
}

void WsConn::write_more() {
  if (stream_ == nullptr || (phase_ != Phase::kOpen && phase_ != Phase::kClosing)) return;
  if (stream_->backlog() > 0) {  // the socket is full: on_stream_writable continues
    if (!send_waiting_) {
      send_waiting_ = true;
      send_since_ = now_ms();
      rearm();
    }
    return;
  }
  const Written w = write_lanes();
  if (w.failed) return after_stream_failure();
  if (w.messages > 0) send_since_ = now_ms();
  if (w.drained) {
    std::shared_ptr<WsHandler> h = handler_;
    if (h) deliver(ctx_, "websocket", [&] { h->on_drain(*this); });
    if (terminal_) return;  // sends made in on_drain listed the connection for the next flush
  }
  if (!w.more && close_requested_ && !close_sent_ && stream_ != nullptr && stream_->backlog() == 0 &&
      !has_writable()) {
    send_close_frame();
    if (stream_failed_) return after_stream_failure();
  }
  if (w.more || (stream_ != nullptr && stream_->backlog() > 0)) {
    if (!send_waiting_) {
      send_waiting_ = true;
      send_since_ = now_ms();
      rearm();
    }
    if (w.more && stream_->backlog() == 0) request_flush();  // budget spent: next round
  } else {
    send_waiting_ = false;
  }
}

WsConn::Written WsConn::write_lanes(bool control_only) {
  Written w;
  if (stream_ == nullptr) return w;
  in_write_ = true;
  while (true) {
    WsOutMessage m;
    {
      MutexLock lock(mu_);
      // Priority first; once closing, only the priority lane is still written.
      std::deque<WsOutMessage> *lane = !control_.empty()                  ? &control_
                                       : close_requested_ || control_only ? nullptr
                                                                          : &data_;
      if (lane == nullptr || lane->empty()) break;
      if (batch_.size() >= static_cast<size_t>(kWriteBudget) || stream_->backlog() > kMaxBacklog) {
        w.more = true;
        break;
      }
      m = std::move(lane->front());
      lane->pop_front();
      (m.priority ? control_bytes_ : data_bytes_) -= m.payload.size();
      if (!m.priority && drain_armed_ && data_bytes_ <= options_.send_low_water_bytes) {
        drain_armed_ = false;
        w.drained = true;
      }
    }
    const size_t n = m.payload.size();
    auto *payload = reinterpret_cast<uint8_t *>(m.payload.data());
    const uint32_t mask = loop_->mask_source().next();
    const size_t header = ws_frame_client_message(payload, n, m.type == WsMessageType::kBinary, mask);
    const bool queued = stream_->write(payload - header, header + n);
    batch_.push_back(Framed{std::move(m), mask});
    if (!queued) break;
  }
  if (!batch_.empty() && !stream_failed_) (void)stream_->flush();
  in_write_ = false;
  if (stream_failed_) {
    // Nothing of this batch reached the socket (the stream queues only when the socket refuses
    // nothing): back at the front of their lanes, unmasked, so take_unsent() returns them.
    MutexLock lock(mu_);
    for (auto it = batch_.rbegin(); it != batch_.rend(); ++it) {
      WsOutMessage &m = it->message;
      ws_apply_mask(reinterpret_cast<uint8_t *>(m.payload.data()), m.payload.size(), it->mask);
      (m.priority ? control_bytes_ : data_bytes_) += m.payload.size();
      (m.priority ? control_ : data_).push_front(std::move(m));
    }
    batch_.clear();
    if (!stream_error_.empty() && pending_error_ == std::nullopt && phase_ == Phase::kOpen)
      stream_error_ = "write failed: " + stream_error_;
    w.failed = true;
    return w;
  }
  for (const Framed &f : batch_) {
    const size_t n = f.message.payload.size();
    if (f.message.priority) {  // Clear, Finalize...: rare, so no clock read per audio frame
      last_control_written_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count(),
                                     std::memory_order_relaxed);
      controls_sent_.fetch_add(1, std::memory_order_relaxed);
    }
    bytes_sent_.fetch_add(n, std::memory_order_relaxed);
    ctx_.m.ws_bytes_sent->inc(n);
  }
  w.messages = static_cast<int>(batch_.size());
  msgs_sent_.fetch_add(batch_.size(), std::memory_order_relaxed);
  batch_.clear();  // the payloads are freed here, after the socket took them
  return w;
}

bool WsConn::send_frame(uint8_t opcode, const uint8_t *payload, size_t len) {
  if (stream_ == nullptr || len > 125) return false;
  uint8_t frame[kWsMaxClientHeader + 125];
  uint8_t *body = frame + kWsMaxClientHeader;
  if (len > 0) std::memcpy(body, payload, len);
  const size_t header = ws_frame_client(body, len, opcode, loop_->mask_source().next());
  const bool was = in_write_;
  in_write_ = true;
  const bool ok = stream_->write(body - header, header + len) && stream_->flush();
  in_write_ = was;
  return ok && !stream_failed_;
}

void WsConn::send_close_frame() {
  close_sent_ = true;
  uint8_t payload[125];
  size_t n = 0;
  if (close_code_ != 0) {
    payload[0] = static_cast<uint8_t>(close_code_ >> 8);
    payload[1] = static_cast<uint8_t>(close_code_ & 0xFF);
    const size_t r = std::min<size_t>(close_reason_.size(), 123);
    std::memcpy(payload + 2, close_reason_.data(), r);
    n = 2 + r;
  }
  (void)send_frame(kWsOpClose, payload, n);
}

void WsConn::start_closing(int code, std::string reason, std::optional<WsErrorInfo> error) {
  {
    MutexLock lock(mu_);
    state_.store(WsState::kClosing, std::memory_order_release);
  }
  if (error) pending_error_ = std::move(error);
  close_requested_ = true;
  close_code_ = code;
  close_reason_ = std::move(reason);
  phase_ = Phase::kClosing;
  close_due_ = now_ms() + to_ms(options_.timeouts.close);
  rearm();
  if (pending_error_) {
    // Our own error (oversized message): the close frame goes out now, queued data is dropped.
    if (!close_sent_) send_close_frame();
    return;
  }
  request_flush();  // the priority lane first, then the close frame
}

bool WsConn::has_writable() {
  MutexLock lock(mu_);
  return !control_.empty() || (!close_requested_ && !data_.empty());
}

void WsConn::begin_close() {
  int code;
  std::string reason;
  {
    MutexLock lock(mu_);
    code = req_close_code_;
    reason = req_close_reason_;
  }
  switch (phase_) {
    case Phase::kNew:
    case Phase::kDns:
    case Phase::kConnect:
    case Phase::kHandshake:
    case Phase::kRefused: {
      WsErrorInfo e;
      e.status = cancelled("websocket closed before it opened");
      e.phase = phase_name(phase_);
      fail(std::move(e));
      return;
    }
    case Phase::kOpen: start_closing(code, std::move(reason), std::nullopt); return;
    case Phase::kClosing:  // a close is already under way (ours or for an oversized message)
    case Phase::kDone: return;
  }
}

void WsConn::apply_flow() {
  const bool want = want_paused_.load(std::memory_order_acquire);
  if (stream_ == nullptr || (phase_ != Phase::kOpen && phase_ != Phase::kClosing)) return;
  if (want != paused_) {
    paused_ = want;
    stream_->set_reading(!paused_);
    if (!paused_) last_rx_ = now_ms();  // the idle window restarts
    rearm();
  }
  // Bytes kept while paused (or while a pause was on its way), and records TLS holds, are handed
  // on from the flush: not from inside resume_reading() or another callback.
  if (!want) {
    resume_posted_ = true;
    request_flush();
  }
}

}  // namespace voxline::detail
