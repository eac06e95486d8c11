// WsConn deadlines: one uv timer per connection, armed for the earliest deadline of the
// current phase and re-evaluated when it fires; keepalive pings ride on the same timer (see
// ws_conn.hpp).
#include "net/ws_conn.hpp"

#include <algorithm>

#include "net/slot_loop.hpp"

namespace voxline::detail {

namespace {

uint64_t hangup_ms(const WsConnectOptions &o) {
  const int s = o.ping_hangup_s > 0 ? o.ping_hangup_s : 3 * o.ping_interval_s;
  return static_cast<uint64_t>(s) * 1000;
}

}  // namespace

void WsConn::rearm() {
  if (timer_ == nullptr || terminal_) return;
  uint64_t due = UINT64_MAX;
  switch (phase_) {
    case Phase::kNew: break;
    case Phase::kDns:
    case Phase::kConnect: due = connect_due_; break;
    case Phase::kHandshake:
    case Phase::kRefused: due = handshake_due_; break;
    case Phase::kOpen:
      if (options_.timeouts.idle > Duration::zero() && !paused_)
        due = std::min(due, last_rx_ + to_ms(options_.timeouts.idle));
      if (send_waiting_ && options_.timeouts.send > Duration::zero())
        due = std::min(due, send_since_ + to_ms(options_.timeouts.send));
      if (options_.ping_interval_s > 0) {
        const uint64_t interval = static_cast<uint64_t>(options_.ping_interval_s) * 1000;
        due = std::min(due, std::max(last_rx_, last_ping_) + interval);
        if (!paused_) due = std::min(due, last_rx_ + hangup_ms(options_));
      }
      break;
    case Phase::kClosing: due = close_due_; break;
    case Phase::kDone: break;
  }
  if (due == UINT64_MAX) {
    if (timer_armed_) uv_timer_stop(timer_);
    timer_armed_ = false;
    return;
  }
  if (timer_armed_ && armed_due_ <= due) return;  // fires earlier and re-evaluates then
  timer_armed_ = true;
  armed_due_ = due;
  const uint64_t now = now_ms();
  uv_timer_start(
      timer_, [](uv_timer_t *h) { static_cast<WsConn *>(h->data)->on_deadline(); }, due > now ? due - now : 0,
      0);
}

void WsConn::on_deadline() {
  std::shared_ptr<WsConn> keep = shared_from_this();
  timer_armed_ = false;
  if (terminal_) return;
  const uint64_t now = now_ms();
  const auto &to = options_.timeouts;
  switch (phase_) {
    case Phase::kNew: break;
    case Phase::kDns:
    case Phase::kConnect:
      if (now >= connect_due_) return timeout(phase_name(phase_), to.connect);
      break;
    case Phase::kHandshake:
    case Phase::kRefused:
      if (now >= handshake_due_) return timeout("handshake", to.handshake);
      break;
    case Phase::kOpen:
      if (to.idle > Duration::zero() && !paused_ && now - last_rx_ >= to_ms(to.idle))
        return timeout("idle", to.idle);
      if (options_.ping_interval_s > 0) {
        if (!paused_ && now - last_rx_ >= hangup_ms(options_))
          return timeout("idle", std::chrono::milliseconds(hangup_ms(options_)));
        const uint64_t interval = static_cast<uint64_t>(options_.ping_interval_s) * 1000;
        if (now >= std::max(last_rx_, last_ping_) + interval && stream_ != nullptr) {
          last_ping_ = now;
          if (!send_frame(kWsOpPing, nullptr, 0)) return after_stream_failure();
        }
      }
      if (send_waiting_) {
        if (lanes_empty() && (stream_ == nullptr || stream_->backlog() == 0)) {
          send_waiting_ = false;
        } else if (to.send > Duration::zero() && now - send_since_ >= to_ms(to.send)) {
          return timeout("send", to.send);
        }
      }
      break;
    case Phase::kClosing:
      if (now >= close_due_) {
        if (pending_error_) return fail(std::move(*pending_error_));
        return timeout("close", to.close);
      }
      break;
    case Phase::kDone: break;
  }
  rearm();
}

void WsConn::timeout(const char *phase, Duration limit) {
  WsErrorInfo e;
  e.phase = phase;
  e.status = timeout_error(
      std::string("websocket ") + phase + " to " + url_.host + " took longer than " +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()) + " ms");
  fail(std::move(e));
}

}  // namespace voxline::detail
