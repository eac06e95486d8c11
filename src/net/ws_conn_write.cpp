// WsConn writing: the deferred flush, the two send lanes written priority first, the close
// frame, and read flow control (see ws_conn.hpp for the threading rules).
#include "net/ws_conn.hpp"

#include "net/deliver.hpp"
#include "net/slot_loop.hpp"
#include "net/ws_frame.hpp"

namespace voxline::detail {

namespace {

// Messages written per flush or writeable callback at most, so one busy connection cannot
// starve others.
constexpr int kWriteBudget = 64;

}  // namespace

void WsConn::request_flush() {
  if (flush_listed_ || terminal_) return;
  flush_listed_ = true;
  loop_->defer_flush(shared_from_this());
}

void WsConn::write_control_now() {
  // Inside this connection's own lws callback, or with lws holding part of a message, the
  // deferred flush keeps the order; so does any state but open.
  if (in_lws_ || pending_error_ || terminal_ || wsi_ == nullptr || phase_ != Phase::kOpen || rx_discard_ ||
      lws_partial_buffered(wsi_) != 0)
    return;
  const Written w = write_lanes(wsi_, /*control_only=*/true);
  if (w.failed) return kill_after_failed_write();
  if (w.messages > 0) send_since_ = now_ms();
}

void WsConn::kill_after_failed_write() {
  // No lws callback to return -1 from: lws kills the wsi and CLIENT_CLOSED reports pending_error_.
  lws_set_timeout(wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  loop_->kick_lws();
}

void WsConn::flush() {
  flush_listed_ = false;
  if (pending_error_) return;  // a failed write is tearing the connection down
  if (terminal_ || wsi_ == nullptr || phase_ != Phase::kOpen || rx_discard_) {
    if (!terminal_ && wsi_ != nullptr && phase_ == Phase::kClosing) want_write();  // on_writeable closes
    return;
  }
  // lws still holds part of an earlier message: it asked for writeable itself and goes first.
  if (lws_partial_buffered(wsi_) != 0) return want_write();
  const Written w = write_lanes(wsi_);
  if (w.failed) return kill_after_failed_write();
  if (w.messages > 0) send_since_ = now_ms();
  if (w.drained) {
    std::shared_ptr<WsHandler> h = handler_;
    if (h) deliver(ctx_, "websocket", [&] { h->on_drain(*this); });
    if (terminal_) return;  // sends made in on_drain listed the connection for the next flush
  }
  if (w.more) {
    want_write();
  } else {
    send_waiting_ = false;
  }
}

void WsConn::want_write() {
  if (terminal_ || wsi_ == nullptr || (phase_ != Phase::kOpen && phase_ != Phase::kClosing)) return;
  if (!send_waiting_) {
    send_waiting_ = true;
    send_since_ = now_ms();
    rearm();
  }
  lws_callback_on_writable(wsi_);
}

WsConn::Written WsConn::write_lanes(struct lws *wsi, bool control_only) {
  Written w;
  while (true) {
    WsOutMessage m;
    {
      MutexLock lock(mu_);
      // Priority first; once closing, only the priority lane is still written.
      std::deque<WsOutMessage> *lane = !control_.empty()                  ? &control_
                                       : close_requested_ || control_only ? nullptr
                                                                          : &data_;
      if (lane == nullptr || lane->empty()) break;
      if (w.messages >= kWriteBudget) {
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
    // Framed and masked here, written raw: lws_write's own framing reads /dev/urandom per frame.
    auto *payload = reinterpret_cast<uint8_t *>(m.payload.data());
    const uint32_t mask = loop_->mask_source().next();
    const size_t header = ws_frame_client_message(payload, n, m.type == WsMessageType::kBinary, mask);
    const int rc = lws_write(wsi, payload - header, header + n, LWS_WRITE_RAW);
    if (rc < static_cast<int>(header + n)) {
      ws_apply_mask(payload, n, mask);  // the caller gets its bytes back as they were
      {
        // Not written: back at the front of its lane, so take_unsent() still returns it.
        MutexLock lock(mu_);
        (m.priority ? control_bytes_ : data_bytes_) += n;
        (m.priority ? control_ : data_).push_front(std::move(m));
      }
      pending_error_ = WsErrorInfo{
          unavailable("websocket to " + url_.host + " dropped without a close frame (1006): write failed"),
          "send",
          0,
          {},
          {}};
      w.failed = true;
      return w;
    }
    ++w.messages;
    if (m.priority) {  // Clear, Finalize...: rare, so no clock read per audio frame
      last_control_written_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count(),
                                     std::memory_order_relaxed);
      controls_sent_.fetch_add(1, std::memory_order_relaxed);
    }
    msgs_sent_.fetch_add(1, std::memory_order_relaxed);
    bytes_sent_.fetch_add(n, std::memory_order_relaxed);
    ctx_.m.ws_bytes_sent->inc(n);
    // The socket took only part (lws keeps the rest and asks for writeable itself): stop here.
    // No poll() per message: a full socket shows up as that partial write.
    if (lws_partial_buffered(wsi) != 0) {
      w.more = has_writable();
      break;
    }
  }
  return w;
}

int WsConn::on_writeable(struct lws *wsi) {
  if (terminal_) return -1;
  Written w;
  if (!rx_discard_) {
    w = write_lanes(wsi);
    if (w.failed) return -1;
  }
  if (w.messages > 0) send_since_ = now_ms();  // progress restarts the send deadline
  if (w.drained) {
    std::shared_ptr<WsHandler> h = handler_;
    if (h) deliver(ctx_, "websocket", [&] { h->on_drain(*this); });
    if (terminal_) return -1;
  }
  if (w.more || (!rx_discard_ && has_writable())) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  if (close_requested_ && !close_sent_) {
    close_sent_ = true;
    lws_close_reason(wsi, static_cast<enum lws_close_status>(close_code_),
                     reinterpret_cast<unsigned char *>(close_reason_.data()), close_reason_.size());
    // Returning -1 here would close without the frame: lws 4.1.6 (built with _DEBUG) calls
    // lws_close_free_wsi twice on a libuv loop after a POLLOUT handler asks to close, and the
    // second call kills the socket. A -1 from LWS_CALLBACK_TIMER takes the single-call path.
    lws_set_timer_usecs(wsi, 1);
    return 0;
  }
  if (lanes_empty()) send_waiting_ = false;
  return 0;
}

bool WsConn::has_writable() {
  MutexLock lock(mu_);
  return !control_.empty() || (!close_requested_ && !data_.empty());
}

void WsConn::begin_close() {
  {
    MutexLock lock(mu_);
    close_code_ = req_close_code_;
    close_reason_ = req_close_reason_;
  }
  switch (phase_) {
    case Phase::kNew:
    case Phase::kDns:
    case Phase::kConnect:
    case Phase::kHandshake: {
      WsErrorInfo e;
      e.status = cancelled("websocket closed before it opened");
      e.phase = phase_name(phase_);
      fail(std::move(e));
      return;
    }
    case Phase::kOpen:
      close_requested_ = true;
      phase_ = Phase::kClosing;
      close_due_ = now_ms() + to_ms(options_.timeouts.close);
      rearm();
      if (wsi_ != nullptr) lws_callback_on_writable(wsi_);
      return;
    case Phase::kClosing:  // a close is already under way (ours or for an oversized message)
    case Phase::kDone: return;
  }
}

void WsConn::apply_flow() {
  const bool want = want_paused_.load(std::memory_order_acquire);
  if (want == paused_ || wsi_ == nullptr || (phase_ != Phase::kOpen && phase_ != Phase::kClosing)) return;
  paused_ = want;
  lws_rx_flow_control(wsi_, paused_ ? 0 : 1);
  loop_->kick_lws();                  // lws services data it buffered meanwhile from its idle handler
  if (!paused_) last_rx_ = now_ms();  // the idle window restarts
  rearm();
}

}  // namespace voxline::detail
