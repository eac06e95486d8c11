// WsConn: one libwebsockets client on a slot's uv loop (see ws_conn.hpp for the threading rules).
#include "net/ws_conn.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "net/deliver.hpp"
#include "net/slot_loop.hpp"
#include "net/ws_frame.hpp"
#include "voxline/core/strings.hpp"

namespace voxline::detail {

static_assert(WsBuffer::kHeadroom >= kWsMaxClientHeader, "WsBuffer headroom must hold a client frame header");

namespace {

// Messages written per writeable callback at most, so one busy connection cannot starve others.
constexpr int kWriteBudget = 64;

bool valid_close_code(int code) {
  return code == 1000 || code == 1001 || code == 1002 || code == 1003 || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

const char *phase_name(WsConn::Phase p) {
  switch (p) {
    case WsConn::Phase::kNew:
    case WsConn::Phase::kDns: return "dns";
    case WsConn::Phase::kConnect: return "connect";
    case WsConn::Phase::kHandshake: return "handshake";
    case WsConn::Phase::kOpen: return "open";
    case WsConn::Phase::kClosing: return "close";
    case WsConn::Phase::kDone: return "done";
  }
  return "?";
}

uint64_t to_ms(Duration d) {
  return static_cast<uint64_t>(std::max<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(d + std::chrono::microseconds(999)).count(), 0));
}

int lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  (void)user;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
    case LWS_CALLBACK_CLIENT_RECEIVE:
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_TIMER: break;
    default: return 0;
  }
  auto *conn = static_cast<WsConn *>(lws_get_opaque_user_data(wsi));
  if (conn == nullptr) return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
  std::shared_ptr<WsConn> keep = conn->shared_from_this();  // handlers may drop the last handle
  return conn->on_lws(wsi, static_cast<int>(reason), in, len);
}

const struct lws_protocols kProtocols[] = {
    {"voxline-ws", lws_callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// The handle given to the owner: its own reference count, so dropping the last copy closes.
struct HandleDeleter {
  std::shared_ptr<WsConn> conn;
  void operator()(WsConnection *) noexcept {
    std::shared_ptr<WsConn> c = std::move(conn);
    if (c) c->handle_dropped();
  }
};

}  // namespace

const struct lws_protocols *ws_client_protocols() noexcept {
  return kProtocols;
}

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
  if ((ops & kOpRetry) != 0 && !terminal_) {
    retry_pending_ = false;
    connect_next();
  }
  if ((ops & kOpAbort) != 0 && !terminal_) {
    WsErrorInfo e;
    e.status = cancelled("websocket aborted by its owner");
    e.phase = "abort";
    fail(std::move(e));
  }
  if ((ops & kOpClose) != 0 && !terminal_) begin_close();
  if ((ops & kOpFlow) != 0 && !terminal_) apply_flow();
  if ((ops & kOpWrite) != 0 && !terminal_) request_flush();
}

void WsConn::start() {
  std::shared_ptr<WsConn> self = shared_from_this();
  loop_->track(self);
  timer_ = new uv_timer_t;
  uv_timer_init(loop_->uv(), timer_);
  timer_->data = this;
  phase_ = Phase::kDns;
  connect_due_ = now_ms() + to_ms(options_.timeouts.connect);
  rearm();
  std::weak_ptr<WsConn> weak = self;
  Status s = ctx_.resolver->resolve_async(url_.host, Deadline::after(options_.timeouts.connect),
                                          [weak](Result<std::vector<std::string>> r) {
                                            auto c = weak.lock();
                                            if (!c) return;
                                            {
                                              MutexLock lock(c->mu_);
                                              c->resolved_ = std::move(r);
                                            }
                                            (void)c->signal(kOpResolved);
                                          });
  if (!s.ok()) {
    WsErrorInfo e;
    e.status = s;
    e.phase = "dns";
    fail(std::move(e));
  }
}

void WsConn::connect_resolved() {
  std::optional<Result<std::vector<std::string>>> r;
  {
    MutexLock lock(mu_);
    r.swap(resolved_);
  }
  if (!r || phase_ != Phase::kDns) return;
  if (!r->ok() || (*r)->empty()) {
    WsErrorInfo e;
    e.status = r->ok() ? unavailable("no address for " + url_.host) : r->status();
    e.phase = "dns";
    fail(std::move(e));
    return;
  }
  addrs_ = std::move(**r);
  next_addr_ = 0;
  phase_ = Phase::kConnect;
  const auto &o = options_;
  if (o.ping_interval_s > 0) {
    retry_.secs_since_valid_ping = static_cast<uint16_t>(o.ping_interval_s);
    retry_.secs_since_valid_hangup =
        static_cast<uint16_t>(o.ping_hangup_s > 0 ? o.ping_hangup_s : std::min(3 * o.ping_interval_s, 10800));
  }
  // Host header (with a non-default port, as HTTP wants it); lws strips ":port" again for SNI and
  // the certificate name check. IPv6 literals keep the bare address (lws would cut at its colons).
  host_header_ = url_.host.find(':') == std::string::npos ? url_.host_header() : url_.host;
  connect_next();
}

void WsConn::connect_next() {
  if (terminal_ || phase_ != Phase::kConnect) return;
  if (next_addr_ >= addrs_.size()) {
    WsErrorInfo e;
    e.status = unavailable("websocket connection to " + url_.host + " failed: " + last_connect_error_);
    e.phase = "connect";
    fail(std::move(e));
    return;
  }
  address_ = addrs_[next_addr_++];
  lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof ci);
  ci.context = loop_->lws();
  ci.address = address_.c_str();  // numeric: lws 4.1 would resolve on this thread (P4)
  ci.port = url_.port;
  ci.path = url_.path_and_query.c_str();
  ci.host = host_header_.c_str();
  ci.origin = host_header_.c_str();
  ci.protocol = options_.subprotocol.empty() ? nullptr : options_.subprotocol.c_str();
  ci.local_protocol_name = kProtocols[0].name;
  ci.opaque_user_data = this;
  if (options_.ping_interval_s > 0) ci.retry_and_idle_policy = &retry_;
  if (url_.tls) {
    ci.ssl_connection = LCCSCF_USE_SSL;
    if (ctx_.options.tls.insecure_skip_verify)
      ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                           LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
  }
  struct lws *w = lws_client_connect_via_info(&ci);
  loop_->kick_lws();  // lws armed its connect timeout from outside its own callbacks (P3)
  if (w != nullptr) {
    if (!terminal_ && phase_ == Phase::kConnect && !retry_pending_) wsi_ = w;
    return;
  }
  if (!terminal_ && !retry_pending_) connect_failed("could not start a connection to " + address_);
}

void WsConn::connect_failed(const std::string &why) {
  last_connect_error_ = why + " (" + address_ + ")";
  if (next_addr_ < addrs_.size()) {
    VOXLINE_LOG_DEBUG(*ctx_.logger, "net", "websocket to {}: {}; trying the next address", url_.host,
                      last_connect_error_);
    retry_pending_ = true;
    if (!signal(kOpRetry).ok()) retry_pending_ = false;
    return;
  }
  WsErrorInfo e;
  e.status = unavailable("websocket connection to " + url_.host + " failed: " + last_connect_error_);
  e.phase = "connect";
  fail(std::move(e));
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

void WsConn::request_flush() {
  if (flush_listed_ || terminal_) return;
  flush_listed_ = true;
  loop_->defer_flush(shared_from_this());
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
  if (w.failed) {
    // No callback to return -1 from: lws kills the wsi and CLIENT_CLOSED reports pending_error_.
    lws_set_timeout(wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    loop_->kick_lws();
    return;
  }
  if (w.messages > 0) send_since_ = now_ms();
  if (w.drained) {
    std::shared_ptr<WsHandler> h = handler_;
    if (h) deliver(ctx_, "websocket", [&] { h->on_drain(*this); });
    if (terminal_) return;
  }
  if (w.more || has_writable()) {
    want_write();
  } else if (send_waiting_) {
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

// ---------------------------------------------------------------- deadlines

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

// ---------------------------------------------------------------- terminal events

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

// ---------------------------------------------------------------- lws events

int WsConn::on_lws(struct lws *wsi, int reason_int, void *in, size_t len) {
  const auto reason = static_cast<enum lws_callback_reasons>(reason_int);
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

WsConn::Written WsConn::write_lanes(struct lws *wsi) {
  Written w;
  while (true) {
    WsOutMessage m;
    {
      MutexLock lock(mu_);
      // Priority first; once closing, only the priority lane is still written.
      std::deque<WsOutMessage> *lane = !control_.empty() ? &control_ : close_requested_ ? nullptr : &data_;
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

void WsConn::on_connection_error(struct lws *wsi, void *in, size_t len) {
  if (terminal_) {
    if (wsi_ == nullptr) loop_->untrack(this);
    return;
  }
  if (pending_error_) {
    fail(std::move(*pending_error_));
    if (wsi_ == nullptr) loop_->untrack(this);
    return;
  }
  const std::string why = in != nullptr
                              ? std::string(static_cast<const char *>(in),
                                            strnlen(static_cast<const char *>(in), len > 0 ? len : 512))
                              : "";
  const int http_status = lws_http_client_http_response(wsi);
  if (http_status == 0 && phase_ == Phase::kConnect) {
    // TCP or TLS never came up on this address: the next resolved address may work.
    connect_failed(why);
    if (terminal_ && wsi_ == nullptr) loop_->untrack(this);
    return;
  }
  WsErrorInfo e;
  e.phase = phase_name(phase_);
  e.http_status = http_status;
  static const struct {
    const char *name;
    enum lws_token_indexes token;
  } kKept[] = {{"content-type", WSI_TOKEN_HTTP_CONTENT_TYPE},
               {"retry-after", WSI_TOKEN_HTTP_RETRY_AFTER},
               {"www-authenticate", WSI_TOKEN_HTTP_WWW_AUTHENTICATE}};
  static const struct {
    const char *name;
    const char *with_colon;
  } kCustom[] = {{"dg-request-id", "dg-request-id:"}, {"dg-error", "dg-error:"}};
  if (http_status > 0) {
    char buf[1024] = {0};
    for (const auto &k : kKept)
      if (lws_hdr_copy(wsi, buf, sizeof buf, k.token) > 0) e.headers.emplace_back(k.name, buf);
    for (const auto &k : kCustom)
      if (lws_hdr_custom_copy(wsi, buf, sizeof buf, k.with_colon,
                              static_cast<int>(std::strlen(k.with_colon))) > 0)
        e.headers.emplace_back(k.name, buf);
  }
  if (http_status > 0 && http_status != 101) {
    std::string detail = "websocket upgrade refused (" + why + ")";
    if (auto dg = find_header(e.headers, "dg-error")) detail += ": " + std::string(*dg);
    e.status = status_from_http(http_status, detail);
  } else if (why.find("SSL") != std::string::npos || why.find("ssl") != std::string::npos ||
             why.find("certificate") != std::string::npos || why.find("tls") != std::string::npos) {
    e.status = unavailable("TLS failure connecting to " + url_.host + ": " + why);
  } else {
    e.status = unavailable("websocket connection to " + url_.host + " failed: " + why);
  }
  fail(std::move(e));
  if (wsi_ == nullptr) loop_->untrack(this);
}

}  // namespace voxline::detail
