// WsConn: opening a connection, the any-thread API (send lanes, close, stats) and the attention
// ops (see ws_conn.hpp for the threading rules). Connecting, writing, deadlines and received
// bytes live in ws_conn_{connect,write,deadlines,events}.cpp.
#include "net/ws_conn.hpp"

#include <algorithm>

#include "net/slot_loop.hpp"
#include "net/ws_frame.hpp"

namespace voxline::detail {

static_assert(WsBuffer::kHeadroom >= kWsMaxClientHeader, "WsBuffer headroom must hold a client frame header");

namespace {

bool valid_close_code(int code) {
  return code == 1000 || code == 1001 || code == 1002 || code == 1003 || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

}  // namespace

const char *WsConn::phase_name(Phase p) {
  switch (p) {
    case Phase::kNew:
    case Phase::kDns: return "dns";
    case Phase::kConnect: return "connect";
    case Phase::kHandshake:
    case Phase::kRefused: return "handshake";
    case Phase::kOpen: return "open";
    case Phase::kClosing: return "close";
    case Phase::kDone: return "done";
  }
  return "?";
}

uint64_t WsConn::to_ms(Duration d) {
  return static_cast<uint64_t>(std::max<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(d + std::chrono::microseconds(999)).count(), 0));
}

namespace {

// The handle given to the owner: its own reference count, so dropping the last copy closes.
struct HandleDeleter {
  std::shared_ptr<WsConn> conn;
  void operator()(WsConnection *) noexcept {
    std::shared_ptr<WsConn> c = std::move(conn);
    if (c) c->handle_dropped();
  }
};

}  // namespace

Result<std::shared_ptr<WsConnection>> ws_connect(const std::shared_ptr<SlotLoop> &loop,
                                                 const WsConnectOptions &options,
                                                 std::shared_ptr<WsHandler> handler) {
  if (!handler) return invalid_argument("websocket handler must not be null");
  VOXLINE_ASSIGN_OR_RETURN(Url url, parse_url(options.url));
  if (!url.is_websocket) return invalid_argument("websocket URL must use ws:// or wss://");
  for (const auto &h : options.headers) {
    if (h.first.empty() || h.first.find_first_of(":\r\n ") != std::string::npos ||
        h.second.find_first_of("\r\n") != std::string::npos)
      return invalid_argument("invalid handshake header name or value");
  }
  if (options.timeouts.connect <= Duration::zero() || options.timeouts.handshake <= Duration::zero())
    return invalid_argument("connect and handshake timeouts must be positive");
  if (options.ping_interval_s < 0 || options.ping_interval_s > 3600 || options.ping_hangup_s < 0 ||
      options.ping_hangup_s > 3600)
    return invalid_argument("ping interval and hangup must be within 0..3600 s");
  if (loop->closed()) return failed_precondition("the runtime serving this slot has stopped");
  NetContext &ctx = *loop->shared_ctx();
  const int64_t live = ctx.active_ws.fetch_add(1) + ctx.active_http.load();
  if (live >= static_cast<int64_t>(ctx.options.max_connections)) {
    ctx.active_ws.fetch_sub(1);
    return queue_full("runtime already serves max_connections=" +
                      std::to_string(ctx.options.max_connections) + " connections");
  }
  loop->add_load(1);
  auto conn = std::make_shared<WsConn>(loop, std::move(url), options, std::move(handler));
  Status s = conn->signal(WsConn::kOpStart);
  if (!s.ok()) {
    ctx.active_ws.fetch_sub(1);
    loop->add_load(-1);
    return s;
  }
  return std::shared_ptr<WsConnection>(conn.get(), HandleDeleter{conn});
}

WsConn::WsConn(std::shared_ptr<SlotLoop> loop, Url url, WsConnectOptions options,
               std::shared_ptr<WsHandler> handler)
    : loop_(std::move(loop)),
      ctx_(*loop_->shared_ctx()),
      id_(next_stream_id()),
      url_(std::move(url)),
      options_(std::move(options)),
      handler_(std::move(handler)) {}

WsConn::~WsConn() = default;

// ---------------------------------------------------------------- any thread

Status WsConn::enqueue(WsBuffer payload, WsMessageType type, bool priority) {
  const size_t n = payload.size();
  {
    MutexLock lock(mu_);
    const WsState st = state_.load(std::memory_order_acquire);
    if (st == WsState::kClosing || st == WsState::kClosed)
      return failed_precondition("websocket is closing or closed");
    if (priority) {
      if (control_.size() >= std::max<size_t>(options_.max_queued_control, 1)) {
        send_rejected_.fetch_add(1, std::memory_order_relaxed);
        ctx_.m.ws_send_rejected->inc();
        return queue_full("websocket priority lane holds " + std::to_string(control_.size()) + " messages");
      }
      control_.push_back(WsOutMessage{type, std::move(payload), true});
      control_bytes_ += n;
    } else {
      if (data_.size() >= std::max<size_t>(options_.max_queued_messages, 1) ||
          data_bytes_ + n > options_.max_queued_bytes) {
        send_rejected_.fetch_add(1, std::memory_order_relaxed);
        ctx_.m.ws_send_rejected->inc();
        return queue_full("websocket send queue holds " + std::to_string(data_.size()) + " messages / " +
                          std::to_string(data_bytes_) + " bytes (max " +
                          std::to_string(options_.max_queued_messages) + " / " +
                          std::to_string(options_.max_queued_bytes) + ")");
      }
      data_.push_back(WsOutMessage{type, std::move(payload), false});
      data_bytes_ += n;
      if (data_bytes_ > options_.send_low_water_bytes) drain_armed_ = true;
    }
    const size_t depth = data_.size() + control_.size();
    if (depth > high_water_) {
      high_water_ = depth;
      ctx_.m.ws_send_queue_high_water->update_max(static_cast<int64_t>(depth));
    }
  }
  // Barge-in cannot wait for the end of the callback (up to an epoll batch of other I/O).
  if (priority && loop_->in_loop_thread()) write_control_now();
  wake_writer();
  return Status::Ok();
}

Status WsConn::send(WsBuffer payload, WsMessageType type) {
  return enqueue(std::move(payload), type, false);
}

Status WsConn::send_control(WsBuffer payload, WsMessageType type) {
  return enqueue(std::move(payload), type, true);
}

void WsConn::wake_writer() {
  if (loop_->in_loop_thread()) {
    request_flush();  // no hop
  } else {
    (void)signal(kOpWrite);  // fails only after shutdown, when the connection is terminal anyway
  }
}

Status WsConn::close(int code, std::string_view reason) {
  if (!valid_close_code(code))
    return invalid_argument("invalid websocket close code " + std::to_string(code));
  if (reason.size() > 123) return invalid_argument("close reason longer than 123 bytes");
  {
    MutexLock lock(mu_);
    WsState st = state_.load(std::memory_order_acquire);
    bool moved = false;
    while (st == WsState::kConnecting || st == WsState::kOpen) {
      if (state_.compare_exchange_weak(st, WsState::kClosing, std::memory_order_acq_rel)) {
        moved = true;
        break;
      }
    }
    if (!moved) return Status::Ok();  // already closing or closed
    req_close_code_ = code;
    req_close_reason_.assign(reason.data(), reason.size());
  }
  // The attention list cannot be full, so the close is never lost; after shutdown the
  // connection has had its terminal event already.
  (void)signal(kOpClose);
  return Status::Ok();
}

void WsConn::abort() {
  (void)signal(kOpAbort);
}

void WsConn::handle_dropped() {
  (void)close(1000, {});
}

size_t WsConn::discard_queued() {
  size_t n;
  {
    MutexLock lock(mu_);
    n = data_.size();
    data_.clear();
    data_bytes_ = 0;
  }
  discarded_.fetch_add(n, std::memory_order_relaxed);
  return n;
}

std::vector<WsOutMessage> WsConn::take_unsent() {
  std::vector<WsOutMessage> out;
  MutexLock lock(mu_);
  out.reserve(control_.size() + data_.size());
  for (auto &m : control_) out.push_back(std::move(m));
  for (auto &m : data_) out.push_back(std::move(m));
  control_.clear();
  data_.clear();
  control_bytes_ = data_bytes_ = 0;
  return out;
}

void WsConn::pause_reading() {
  want_paused_.store(true, std::memory_order_release);
  (void)signal(kOpFlow);
}

void WsConn::resume_reading() {
  want_paused_.store(false, std::memory_order_release);
  (void)signal(kOpFlow);
}

WsStats WsConn::stats() const {
  WsStats s;
  s.messages_sent = msgs_sent_.load(std::memory_order_relaxed);
  s.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
  s.messages_received = msgs_recv_.load(std::memory_order_relaxed);
  s.bytes_received = bytes_recv_.load(std::memory_order_relaxed);
  s.pongs_received = pongs_.load(std::memory_order_relaxed);
  s.send_rejected = send_rejected_.load(std::memory_order_relaxed);
  s.discarded = discarded_.load(std::memory_order_relaxed);
  s.control_messages_sent = controls_sent_.load(std::memory_order_relaxed);
  s.last_control_written = SteadyTime(std::chrono::duration_cast<SteadyTime::duration>(
      std::chrono::nanoseconds(last_control_written_ns_.load(std::memory_order_relaxed))));
  MutexLock lock(mu_);
  s.queued = data_.size() + control_.size();
  s.queued_bytes = data_bytes_ + control_bytes_;
  s.queue_high_water = high_water_;
  return s;
}

Status WsConn::signal(uint32_t ops) {
  if (ops_.fetch_or(ops, std::memory_order_acq_rel) != 0) return Status::Ok();  // already listed
  return loop_->notify(shared_from_this());
}

// ---------------------------------------------------------------- loop thread

uint64_t WsConn::now_ms() const {
  return uv_now(loop_->uv());
}

bool WsConn::lanes_empty() {
  MutexLock lock(mu_);
  return data_.empty() && control_.empty();
}

void WsConn::on_attention() {
  const uint32_t ops = ops_.exchange(0, std::memory_order_acq_rel);
  if (loop_->stopping()) {
    if ((ops & kOpStart) != 0 && phase_ == Phase::kNew) {
      loop_->track(shared_from_this());
      phase_ = Phase::kDns;
      WsErrorInfo e;
      e.status = cancelled("runtime shutting down");
      e.phase = "dns";
      fail(std::move(e));
    }
    return;
  }
  if ((ops & kOpStart) != 0) start();
  if (terminal_) return;
  if ((ops & kOpResolved) != 0) connect_resolved();
  if ((ops & kOpAbort) != 0 && !terminal_) {
    WsErrorInfo e;
    e.status = cancelled("websocket aborted by its owner");
    e.phase = "abort";
    fail(std::move(e));
  }
  if ((ops & kOpClose) != 0 && !terminal_) begin_close();
  if ((ops & kOpFlow) != 0 && !terminal_) apply_flow();
  if ((ops & kOpWrite) != 0 && !terminal_) {
    write_control_now();
    request_flush();
  }
}

}  // namespace voxline::detail
