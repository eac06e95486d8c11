// WsConn receiving: bytes from the stream (the handshake answer, then frames), stream failures,
// the close handshake, and the terminal events that end a connection exactly once (see
// ws_conn.hpp for the threading rules).
#include "net/ws_conn.hpp"

#include "net/deliver.hpp"
#include "net/slot_loop.hpp"
#include "voxline/core/utf8.hpp"
#include "voxline/net/http_status.hpp"

namespace voxline::detail {

namespace {

// Marks the span of one of this connection's own stream callbacks (sends made from handlers in
// here wait for the deferred flush).
struct InCallback {
  bool &flag;
  const bool was;
  explicit InCallback(bool &f) : flag(f), was(f) { flag = true; }
  ~InCallback() { flag = was; }
};

}  // namespace

void WsConn::on_stream_data(const uint8_t *data, size_t len) {
  std::shared_ptr<WsConn> keep = shared_from_this();  // handlers may drop the last handle
  InCallback in(in_cb_);
  if (terminal_) return;
  switch (phase_) {
    case Phase::kHandshake: return on_handshake_bytes(data, len);
    case Phase::kRefused: return on_refusal_bytes(data, len);
    case Phase::kOpen:
    case Phase::kClosing: return feed_frames(data, len);
    default: return;
  }
}

void WsConn::feed_frames(const uint8_t *data, size_t len) {
  last_rx_ = now_ms();
  // Paused (pause_reading() stops delivery as soon as it returns, before the loop stops the
  // socket), or older bytes still wait: keep the order.
  if (paused_ || want_paused_.load(std::memory_order_acquire) || !stash_.empty()) {
    stash_.append(reinterpret_cast<const char *>(data), len);
    return;
  }
  const size_t used = reader_.feed(data, len, *this);
  if (terminal_) return;
  if (reader_.failed()) return protocol_violation(reader_.error_reason());
  if (rx_not_utf8_) return protocol_violation("a text message is not valid UTF-8", 1007);
  if (used < len && !close_sent_ && pending_error_ == std::nullopt)
    stash_.append(reinterpret_cast<const char *>(data) + used, len - used);
}

void WsConn::resume_delivery() {
  resume_posted_ = false;
  if (terminal_ || paused_ || stream_ == nullptr) return;
  InCallback in(in_cb_);
  std::string waiting;
  waiting.swap(stash_);
  if (!waiting.empty()) feed_frames(reinterpret_cast<const uint8_t *>(waiting.data()), waiting.size());
  if (terminal_ || paused_ || stream_ == nullptr || !stash_.empty()) return;
  stream_->deliver_buffered();
}

bool WsConn::on_ws_data(uint8_t opcode, const uint8_t *data, size_t len, bool first, bool last) {
  if (close_sent_ || pending_error_) return true;  // closing: the rest is read and dropped
  if (first) {
    rx_.clear();
    rx_binary_ = opcode == kWsOpBinary;
  }
  if (rx_.size() + len > options_.max_message_bytes) {
    message_too_big();
    return false;
  }
  rx_.append(reinterpret_cast<const char *>(data), len);
  if (!last) return true;
  if (!rx_binary_ && !utf8_valid(rx_)) {  // RFC 6455 8.1: fail the connection with 1007
    rx_.clear();
    rx_not_utf8_ = true;
    return false;  // feed_frames fails the connection once the reader has returned
  }
  msgs_recv_.fetch_add(1, std::memory_order_relaxed);
  bytes_recv_.fetch_add(rx_.size(), std::memory_order_relaxed);
  ctx_.m.ws_bytes_received->inc(rx_.size());
  WsMessage msg(rx_binary_ ? WsMessageType::kBinary : WsMessageType::kText, rx_);
  std::shared_ptr<WsHandler> h = handler_;
  if (h) deliver(ctx_, "websocket", [&] { h->on_message(*this, msg); });
  rx_.clear();  // keeps its capacity unless the handler took the payload
  return !terminal_ && !want_paused_.load(std::memory_order_acquire);
}

bool WsConn::on_ws_control(uint8_t opcode, const uint8_t *payload, size_t len) {
  switch (opcode) {
    case kWsOpPing:
      if (!close_sent_) (void)send_frame(kWsOpPong, payload, len);
      return !terminal_;
    case kWsOpPong: pongs_.fetch_add(1, std::memory_order_relaxed); return true;
    case kWsOpClose: on_peer_close(payload, len); return false;
    default: return true;
  }
}

void WsConn::on_peer_close(const uint8_t *payload, size_t len) {
  const int code = len >= 2 ? (payload[0] << 8) | payload[1] : 1005;
  std::string reason = len > 2 ? std::string(reinterpret_cast<const char *>(payload) + 2, len - 2) : "";
  if (!close_sent_ && !utf8_valid(reason))
    return protocol_violation("the close reason is not valid UTF-8", 1007);
  if (close_sent_) {
    // The answer to our close frame: the handshake is complete.
    if (stream_) stream_->close();
    stream_.reset();
    if (pending_error_) return fail(std::move(*pending_error_));
    WsCloseInfo info;
    info.code = close_code_;
    info.reason = close_reason_;
    return finish_close(std::move(info));
  }
  // The server closes: echo its code (none when it sent none), then hang up once that is written.
  close_code_ = code == 1005 ? 0 : code;
  close_reason_.clear();
  send_close_frame();
  if (stream_) stream_->close(/*after_write=*/true);
  stream_.reset();
  if (pending_error_) return fail(std::move(*pending_error_));
  WsCloseInfo info;
  info.code = code;
  info.reason = std::move(reason);
  info.by_peer = true;
  info.status = code == 1005 ? Status::Ok() : status_from_close_code(info.code, info.reason);
  finish_close(std::move(info));
}

void WsConn::message_too_big() {
  rx_.clear();
  rx_.shrink_to_fit();
  start_closing(1009, "message too big",
                WsErrorInfo{protocol_error("incoming websocket message exceeds " +
                                           std::to_string(options_.max_message_bytes) + " bytes"),
                            "open",
                            0,
                            {},
                            {}});
}

void WsConn::protocol_violation(const std::string &why, int close_code) {
  // No close handshake with a peer that broke the protocol: our 1002 (1007 for bad UTF-8), then
  // hang up.
  close_code_ = close_code;
  close_reason_ = close_code == 1007 ? "invalid UTF-8" : "protocol error";
  if (!close_sent_) send_close_frame();
  if (stream_) stream_->close(/*after_write=*/true);
  stream_.reset();
  WsErrorInfo e;
  e.status = protocol_error("websocket from " + url_.host + " broke the protocol: " + why);
  e.phase = phase_name(phase_);
  fail(std::move(e));
}

void WsConn::on_stream_eof() {
  std::shared_ptr<WsConn> keep = shared_from_this();
  InCallback in(in_cb_);
  if (terminal_) return;
  if (phase_ == Phase::kRefused) return finish_refusal();
  if (close_sent_ && !pending_error_) {
    // The server hung up instead of answering our close frame: the close still happened.
    stream_.reset();
    WsCloseInfo info;
    info.code = close_code_;
    info.reason = close_reason_;
    return finish_close(std::move(info));
  }
  if (pending_error_) return fail(std::move(*pending_error_));
  WsErrorInfo e;
  e.status = unavailable(phase_ == Phase::kHandshake
                             ? "websocket to " + url_.host + " closed during the upgrade"
                             : "websocket to " + url_.host + " dropped without a close frame (1006)");
  e.phase = phase_name(phase_);
  fail(std::move(e));
}

void WsConn::on_stream_failed(const std::string &why, bool tls) {
  std::shared_ptr<WsConn> keep = shared_from_this();
  if (in_write_) {  // reported once the write returns (after_stream_failure)
    stream_failed_ = true;
    stream_error_ = why;
    last_connect_tls_ = tls;
    return;
  }
  InCallback in(in_cb_);
  if (terminal_) return;
  if (phase_ == Phase::kConnect) return connect_failed(why, tls);
  stream_failed_ = true;
  stream_error_ = why;
  after_stream_failure();
}

void WsConn::after_stream_failure() {
  if (terminal_ || !stream_failed_) return;
  stream_.reset();
  if (phase_ == Phase::kConnect) return connect_failed(stream_error_, last_connect_tls_);
  if (phase_ == Phase::kRefused) return finish_refusal();
  if (pending_error_) return fail(std::move(*pending_error_));
  WsErrorInfo e;
  e.status =
      unavailable("websocket to " + url_.host + " dropped without a close frame (1006): " + stream_error_);
  e.phase = phase_ == Phase::kOpen && send_waiting_ ? "send" : phase_name(phase_);
  fail(std::move(e));
}

void WsConn::on_established() {
  if (terminal_) return;
  phase_ = Phase::kOpen;
  last_rx_ = last_ping_ = now_ms();
  was_open_ = true;
  WsState expected = WsState::kConnecting;
  state_.compare_exchange_strong(expected, WsState::kOpen, std::memory_order_acq_rel);
  ctx_.m.ws_open->add(1);
  WsOpenInfo info = std::move(open_info_);
  rearm();
  if (want_paused_.load(std::memory_order_acquire)) apply_flow();
  std::shared_ptr<WsHandler> h = handler_;
  if (h) deliver(ctx_, "websocket", [&] { h->on_open(*this, info); });
  if (!terminal_ && !lanes_empty()) request_flush();
}

void WsConn::end() {
  terminal_ = true;
  {
    MutexLock lock(mu_);
    state_.store(WsState::kClosed, std::memory_order_release);
  }
  ctx_.active_ws.fetch_sub(1);
  loop_->add_load(-1);
  if (was_open_) ctx_.m.ws_open->add(-1);
  phase_ = Phase::kDone;
  if (timer_ != nullptr && timer_armed_) uv_timer_stop(timer_);
  timer_armed_ = false;
}

void WsConn::fail(WsErrorInfo info) {
  if (terminal_) return;
  std::shared_ptr<WsConn> keep = shared_from_this();
  end();
  stream_.reset();
  ctx_.count_error("ws", info.status);
  if (info.status.code() == StatusCode::kTimeout) ctx_.timeouts(info.phase).inc();
  std::shared_ptr<WsHandler> h = std::move(handler_);
  if (h) deliver(ctx_, "websocket", [&] { h->on_error(*this, info); });
  release();
}

void WsConn::finish_close(WsCloseInfo info) {
  if (terminal_) return;
  std::shared_ptr<WsConn> keep = shared_from_this();
  end();
  stream_.reset();
  if (!info.status.ok()) ctx_.count_error("ws", info.status);
  std::shared_ptr<WsHandler> h = std::move(handler_);
  if (h) deliver(ctx_, "websocket", [&] { h->on_close(*this, info); });
  release();
}

void WsConn::release() {
  stream_.reset();
  stash_.clear();
  loop_->untrack(this);
}

void WsConn::cancel_for_shutdown() {
  WsErrorInfo e;
  e.status = cancelled("runtime shutting down");
  e.phase = phase_name(phase_);
  fail(std::move(e));
}

void WsConn::close_handles() {
  stream_.reset();
  if (timer_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t *>(timer_),
           [](uv_handle_t *h) { delete reinterpret_cast<uv_timer_t *>(h); });
  timer_ = nullptr;
  timer_armed_ = false;
}

}  // namespace voxline::detail
