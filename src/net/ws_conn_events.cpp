// WsConn events from lws (handshake, messages, close) and the terminal events that end a
// connection exactly once (see ws_conn.hpp for the threading rules).
#include "net/ws_conn.hpp"

#include "net/deliver.hpp"
#include "net/slot_loop.hpp"
#include "voxline/core/strings.hpp"

namespace voxline::detail {

int WsConn::on_lws(struct lws *wsi, int reason_int, void *in, size_t len) {
  const auto reason = static_cast<enum lws_callback_reasons>(reason_int);
  struct InLws {  // sends made from our handlers in here wait for the deferred flush
    bool &flag;
    const bool was;
    ~InLws() { flag = was; }
  } in_lws{in_lws_, in_lws_};
  in_lws_ = true;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      if (terminal_) return -1;
      phase_ = Phase::kHandshake;
      handshake_due_ = now_ms() + to_ms(options_.timeouts.handshake);
      rearm();
      auto **p = static_cast<unsigned char **>(in);
      unsigned char *end = *p + len;
      for (const auto &h : options_.headers) {
        const auto *value = reinterpret_cast<const unsigned char *>(h.second.data());
        const int vlen = static_cast<int>(h.second.size());
        int rc;
        if (iequals(h.first, "authorization")) {
          rc = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, value, vlen, p, end);
        } else {
          const std::string name = h.first + ":";  // lws needs the trailing colon
          rc = lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char *>(name.c_str()), value,
                                           vlen, p, end);
        }
        if (rc != 0) {
          pending_error_ = WsErrorInfo{
              invalid_argument("handshake headers do not fit the lws buffer"), "handshake", 0, {}, {}};
          return -1;
        }
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH: {
      // The last moment the response headers exist: lws frees them before ESTABLISHED.
      if (terminal_) return -1;
      char buf[256] = {0};
      open_info_.http_status = lws_http_client_http_response(wsi);
      if (open_info_.http_status == 0) open_info_.http_status = 101;
      if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_PROTOCOL) > 0) open_info_.subprotocol = buf;
      if (lws_hdr_custom_copy(wsi, buf, sizeof buf, "dg-request-id:", 14) > 0) open_info_.request_id = buf;
      return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED: on_established(wsi); return terminal_ ? -1 : 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: return on_receive(wsi, in, len);
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
      pongs_.fetch_add(1, std::memory_order_relaxed);
      last_rx_ = now_ms();
      return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: return on_writeable(wsi);
    case LWS_CALLBACK_TIMER: return close_sent_ || terminal_ ? -1 : 0;  // see on_writeable
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      const auto *b = static_cast<const unsigned char *>(in);
      if (len >= 2) {
        peer_close_code_ = (b[0] << 8) | b[1];
        peer_close_reason_.assign(reinterpret_cast<const char *>(b) + 2, len - 2);
      } else {
        peer_close_code_ = 1005;
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
      lws_set_opaque_user_data(wsi, nullptr);
      if (wsi_ == wsi) wsi_ = nullptr;
      on_closed();
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      lws_set_opaque_user_data(wsi, nullptr);
      if (wsi_ == wsi) wsi_ = nullptr;
      on_connection_error(wsi, in, len);
      return 0;
    default: return 0;
  }
}

void WsConn::on_established(struct lws *wsi) {
  if (terminal_) return;
  wsi_ = wsi;
  phase_ = Phase::kOpen;
  last_rx_ = now_ms();
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

int WsConn::on_receive(struct lws *wsi, void *in, size_t len) {
  if (terminal_) return -1;
  last_rx_ = now_ms();
  if (lws_is_first_fragment(wsi)) {
    rx_.clear();
    rx_binary_ = lws_frame_is_binary(wsi) != 0;
  }
  if (rx_discard_) return 0;  // closing because of an oversized message
  if (rx_.size() + len > options_.max_message_bytes) {
    // Close with 1009 from the WRITEABLE callback (lws 4.1 corrupts its heap when a client
    // returns -1 from RECEIVE after lws_close_reason).
    pending_error_ = WsErrorInfo{protocol_error("incoming websocket message exceeds " +
                                                std::to_string(options_.max_message_bytes) + " bytes"),
                                 "open",
                                 0,
                                 {},
                                 {}};
    rx_discard_ = true;
    rx_.clear();
    rx_.shrink_to_fit();
    {
      MutexLock lock(mu_);
      state_.store(WsState::kClosing, std::memory_order_release);
    }
    close_requested_ = true;
    close_code_ = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
    close_reason_ = "message too big";
    phase_ = Phase::kClosing;
    close_due_ = now_ms() + to_ms(options_.timeouts.close);
    rearm();
    lws_callback_on_writable(wsi);
    return 0;
  }
  rx_.append(static_cast<const char *>(in), len);
  if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
    msgs_recv_.fetch_add(1, std::memory_order_relaxed);
    bytes_recv_.fetch_add(rx_.size(), std::memory_order_relaxed);
    ctx_.m.ws_bytes_received->inc(rx_.size());
    WsMessage msg(rx_binary_ ? WsMessageType::kBinary : WsMessageType::kText, rx_);
    std::shared_ptr<WsHandler> h = handler_;
    if (h) deliver(ctx_, "websocket", [&] { h->on_message(*this, msg); });
    rx_.clear();  // keeps its capacity unless the handler took the payload
    if (terminal_) return -1;
  }
  return 0;
}

void WsConn::on_closed() {
  if (!terminal_) {
    if (pending_error_) {
      fail(std::move(*pending_error_));
    } else if (peer_close_code_ >= 0) {
      WsCloseInfo info;
      info.code = peer_close_code_;
      info.reason = peer_close_reason_;
      info.by_peer = true;
      info.status = peer_close_code_ == 1005 ? Status::Ok() : status_from_close_code(info.code, info.reason);
      finish_close(std::move(info));
    } else if (close_sent_) {
      WsCloseInfo info;
      info.code = close_code_;
      info.reason = close_reason_;
      finish_close(std::move(info));
    } else {
      WsErrorInfo e;
      e.status = unavailable("websocket to " + url_.host + " dropped without a close frame (1006)");
      e.phase = phase_name(phase_);
      fail(std::move(e));
    }
  }
  if (wsi_ == nullptr) loop_->untrack(this);
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
  if (!info.status.ok()) ctx_.count_error("ws", info.status);
  std::shared_ptr<WsHandler> h = std::move(handler_);
  if (h) deliver(ctx_, "websocket", [&] { h->on_close(*this, info); });
  release();
}

void WsConn::release() {
  if (wsi_ != nullptr) {
    if (!killed_ && !loop_->stopping()) {
      killed_ = true;
      lws_set_timeout(wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
      loop_->kick_lws();
    }
    return;  // forgotten once lws reports the wsi closed
  }
  loop_->untrack(this);
}

void WsConn::cancel_for_shutdown() {
  WsErrorInfo e;
  e.status = cancelled("runtime shutting down");
  e.phase = phase_name(phase_);
  fail(std::move(e));
}

void WsConn::close_handles() {
  if (timer_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t *>(timer_),
           [](uv_handle_t *h) { delete reinterpret_cast<uv_timer_t *>(h); });
  timer_ = nullptr;
  timer_armed_ = false;
}

}  // namespace voxline::detail
