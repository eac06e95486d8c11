// WsConn deadlines: one uv timer per connection, armed for the earliest deadline of the
// current phase and re-evaluated when it fires (see ws_conn.hpp).
#include "net/ws_conn.hpp"

#include <algorithm>
#include "net/slot_loop.hpp"

namespace voxline::detail {

void WsConn::rearm() {
  if (timer_ == nullptr || terminal_) return;
  uint64_t due = UINT64_MAX;
  switch (phase_) {
    case Phase::kNew: break;
    case Phase::kDns:
    case Phase::kConnect: due = connect_due_; break;
    case Phase::kHandshake: due = handshake_due_; break;
    case Phase::kOpen:
      if (options_.timeouts.idle > Duration::zero() && !paused_)
        due = std::min(due, last_rx_ + to_ms(options_.timeouts.idle));
      if (send_waiting_ && options_.timeouts.send > Duration::zero())
        due = std::min(due, send_since_ + to_ms(options_.timeouts.send));
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
      if (now >= handshake_due_) return timeout("handshake", to.handshake);
      break;
    case Phase::kOpen:
    case Phase::kClosing:
      if (phase_ == Phase::kOpen && to.idle > Duration::zero() && !paused_ &&
          now - last_rx_ >= to_ms(to.idle))
        return timeout("idle", to.idle);
      if (phase_ == Phase::kClosing) {
        if (now >= close_due_) return timeout("close", to.close);
        break;
      }
      if (send_waiting_) {
        if (lanes_empty()) {
          send_waiting_ = false;
        } else if (to.send > Duration::zero() && now - send_since_ >= to_ms(to.send)) {
          return timeout("send", to.send);
        }
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
