// The websocket half of an I/O slot: one lws client context serviced by one thread. Every lws
// call happens on that thread; other threads only push WsCommands and call lws_cancel_service.
#include "ws_loop.hpp"

#include <libwebsockets.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include "voxline/core/strings.hpp"
#include "voxline/net/url.hpp"

namespace voxline::detail {

namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(10);
// A wsi we asked lws to kill is forgotten after this long even if lws never reports it closed.
constexpr auto kZombieGrace = std::chrono::seconds(5);

SteadyTime now() {
  return Clock::system().now();
}

void *id_to_ptr(uint64_t id) {
  return reinterpret_cast<void *>(static_cast<uintptr_t>(id));
}
uint64_t ptr_to_id(const void *p) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

bool valid_close_code(int code) {
  return code == 1000 || code == 1001 || code == 1002 || code == 1003 || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

}  // namespace

// The link a handle uses to reach its loop; cut when the loop stops so late calls fail cleanly.
struct WsLoopLink {
  std::mutex mu;
  WsLoop *loop = nullptr;
};

enum class WsPhase { kDns, kConnect, kHandshake, kOpen, kClosing, kDone };

const char *phase_name(WsPhase p) {
  switch (p) {
    case WsPhase::kDns: return "dns";
    case WsPhase::kConnect: return "connect";
    case WsPhase::kHandshake: return "handshake";
    case WsPhase::kOpen: return "open";
    case WsPhase::kClosing: return "close";
    case WsPhase::kDone: return "done";
  }
  return "?";
}

struct OutMsg {
  std::string buf;  // LWS_PRE spare bytes, then the payload
  bool binary = false;
};

class WsConn final : public WsConnection {
 public:
  WsConn(std::shared_ptr<WsLoopLink> link, Url url, WsConnectOptions options,
         std::shared_ptr<WsHandler> handler, MetricsRegistry *metrics)
      : metrics_(metrics),
        link_(std::move(link)),
        id_(next_stream_id()),
        url_(std::move(url)),
        options_(std::move(options)),
        handler_(std::move(handler)),
        out_(std::max<size_t>(options_.max_queued_messages, 1), OverflowPolicy::kReject) {}

  Status send_text(std::string_view text) override { return enqueue(text, false); }
  Status send_binary(std::string_view bytes) override { return enqueue(bytes, true); }

  Status close(int code, std::string_view reason) override {
    if (!valid_close_code(code))
      return invalid_argument("invalid websocket close code " + std::to_string(code));
    if (reason.size() > 123) return invalid_argument("close reason longer than 123 bytes");
    WsState st = state_.load();
    while (st == WsState::kConnecting || st == WsState::kOpen) {
      if (state_.compare_exchange_weak(st, WsState::kClosing)) {
        WsCommand cmd;
        cmd.kind = WsCommand::kClose;
        cmd.conn = self();
        cmd.close_code = code;
        cmd.close_reason.assign(reason.data(), reason.size());
        return post(std::move(cmd));
      }
    }
    return Status::Ok();  // already closing or closed
  }

  WsState state() const override { return state_.load(); }

  WsStats stats() const override {
    WsStats s;
    s.messages_sent = msgs_sent_.load();
    s.bytes_sent = bytes_sent_.load();
    s.messages_received = msgs_recv_.load();
    s.bytes_received = bytes_recv_.load();
    s.pongs_received = pongs_.load();
    s.send_rejected = send_rejected_.load();
    const QueueStats q = out_.stats();
    s.queued = q.size;
    s.queue_high_water = q.high_water;
    return s;
  }

  uint64_t id() const override { return id_; }

  std::shared_ptr<WsConn> self() { return std::static_pointer_cast<WsConn>(weak_self_.lock()); }

  Status post(WsCommand cmd) { return WsLoop::post_to(link_, std::move(cmd)); }

  Status enqueue(std::string_view data, bool binary) {
    const WsState st = state_.load();
    if (st == WsState::kClosing || st == WsState::kClosed)
      return failed_precondition("websocket is closing or closed");
    if (queued_bytes_.load() + data.size() > options_.max_queued_bytes) {
      ++send_rejected_;
      rejected_counter().inc();
      return queue_full("websocket send queue holds " + std::to_string(queued_bytes_.load()) +
                        " bytes (max " + std::to_string(options_.max_queued_bytes) + ")");
    }
    OutMsg m;
    m.binary = binary;
    m.buf.reserve(LWS_PRE + data.size());
    m.buf.assign(LWS_PRE, '\0');
    m.buf.append(data.data(), data.size());
    const size_t n = data.size();
    Status s = out_.push(std::move(m));
    if (!s.ok()) {
      ++send_rejected_;
      rejected_counter().inc();
      return s.code() == StatusCode::kQueueFull ? s : failed_precondition("websocket is closed");
    }
    queued_bytes_ += n;
    metrics_->gauge("voxline_net_ws_send_queue_high_water", "Largest websocket send queue seen (messages)")
        .update_max(static_cast<int64_t>(out_.size()));
    if (!write_pending_.exchange(true)) {
      WsCommand cmd;
      cmd.kind = WsCommand::kWrite;
      cmd.conn = self();
      if (!post(std::move(cmd)).ok()) write_pending_ = false;  // the loop's tick picks it up
    }
    return Status::Ok();
  }

  Counter &rejected_counter() {
    return metrics_->counter("voxline_net_ws_send_rejected_total", "Websocket sends refused: queue full");
  }

  MetricsRegistry *metrics_;
  std::weak_ptr<WsConnection> weak_self_;
  std::shared_ptr<WsLoopLink> link_;
  const uint64_t id_;
  const Url url_;
  const WsConnectOptions options_;
  std::atomic<WsState> state_{WsState::kConnecting};
  std::atomic<bool> write_pending_{false};
  std::atomic<size_t> queued_bytes_{0};
  std::atomic<uint64_t> msgs_sent_{0}, bytes_sent_{0}, msgs_recv_{0}, bytes_recv_{0}, pongs_{0},
      send_rejected_{0};

  // Below: I/O thread only.
  std::shared_ptr<WsHandler> handler_;
  BoundedQueue<OutMsg> out_;
  struct lws *wsi_ = nullptr;
  WsPhase phase_ = WsPhase::kDns;
  SteadyTime connect_deadline_{}, handshake_deadline_{}, close_deadline_{}, last_rx_{}, killed_at_{};
  std::optional<SteadyTime> send_wait_since_;
  bool terminal_ = false;
  bool killed_ = false;
  bool was_open_ = false;
  bool close_requested_ = false;
  bool close_sent_ = false;
  int close_code_ = 1000;
  std::string close_reason_;
  int peer_close_code_ = -1;
  std::string peer_close_reason_;
  std::optional<WsErrorInfo> pending_error_;  // reported when lws tears the wsi down
  std::string rx_;
  bool rx_binary_ = false;
  bool rx_discard_ = false;  // an oversized message is being refused
  std::string address_;      // kept alive for lws_client_connect_via_info
  std::string host_header_;  // likewise
  std::string subprotocol_accepted_;
  lws_retry_bo_t retry_{};
};

struct WsLoop::Tick {
  lws_sorted_usec_list_t sul;  // first member: the callback gets its address
  WsLoop *loop;
};

namespace {

int lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  struct lws_context *ctx = lws_get_context(wsi);
  auto *loop = ctx != nullptr ? static_cast<WsLoop *>(lws_context_user(ctx)) : nullptr;
  if (loop == nullptr) return 0;
  return loop->on_lws_event(wsi, static_cast<int>(reason), user, in, len);
}

const struct lws_protocols kProtocols[] = {
    {"voxline-ws", lws_callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

void tick_cb(lws_sorted_usec_list_t *sul) {
  auto *tick = reinterpret_cast<WsLoop::Tick *>(sul);  // NOLINT: sul is the first member
  tick->loop->on_tick();
}

void route_lws_log(int level, const char *line) {
  std::string text(line != nullptr ? line : "");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  // lws reports every refused connection as an error; the owner gets a Status for it anyway.
  VOXLINE_LOG_DEBUG(default_logger(), "lws", "[{}] {}", level, text);
}

}  // namespace

// Delivering events: no lock is held and exceptions never cross into lws (a C library).
template <typename Fn>
void deliver(NetContext &ctx, Fn &&fn) {
  try {
    fn();
  } catch (const std::exception &e) {
    VOXLINE_LOG_ERROR(*ctx.logger, "net", "websocket handler threw: {}", e.what());
  } catch (...) {
    VOXLINE_LOG_ERROR(*ctx.logger, "net", "websocket handler threw a non-std exception");
  }
}

WsLoop::WsLoop(NetContext &ctx, int index)
    : ctx_(ctx), index_(index), commands_(ctx.options.command_queue_capacity, OverflowPolicy::kReject) {}

WsLoop::~WsLoop() {
  stop();
}

Status WsLoop::start() {
  static std::once_flag log_once;
  std::call_once(log_once, [] { lws_set_log_level(LLL_ERR | LLL_WARN, route_lws_log); });

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.user = this;
  info.timeout_secs = 30;
  if (!ctx_.options.tls.ca_file.empty()) info.client_ssl_ca_filepath = ctx_.options.tls.ca_file.c_str();
  lws_ = lws_create_context(&info);
  if (lws_ == nullptr) return internal_error("libwebsockets could not create a client context");
  link_ = std::make_shared<WsLoopLink>();
  link_->loop = this;
  tick_ = std::make_unique<Tick>();
  std::memset(&tick_->sul, 0, sizeof tick_->sul);
  tick_->loop = this;
  thread_ = std::thread([this] { run(); });
  return Status::Ok();
}

void WsLoop::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->loop = nullptr;  // handles now get FAILED_PRECONDITION instead of reaching us
  }
  stopping_.store(true, std::memory_order_release);
  lws_cancel_service(lws_);
  thread_.join();
  // Joined: this thread now owns the context. lws reports the remaining wsi closed while it is
  // destroyed; every connection is terminal already, so those callbacks only clean up.
  lws_sul_cancel(&tick_->sul);
  lws_context_destroy(lws_);
  lws_ = nullptr;
  conns_.clear();
}

Status WsLoop::post(WsCommand cmd) {
  if (stopped()) return failed_precondition("runtime is shutting down");
  Status s = commands_.push(std::move(cmd));
  if (!s.ok()) {
    ctx_.m.command_rejected->inc();
    return s;
  }
  ctx_.m.command_high_water->update_max(static_cast<int64_t>(commands_.size()));
  lws_cancel_service(lws_);
  return Status::Ok();
}

void WsLoop::run() {
  while (!stopping_.load(std::memory_order_acquire)) {
    if (lws_service(lws_, 0) < 0) {
      VOXLINE_LOG_ERROR(*ctx_.logger, "net", "lws_service failed; websocket loop {} stops", index_);
      stopping_.store(true, std::memory_order_release);
      break;
    }
  }
  // Shutdown on the service thread: every live connection gets its terminal event first.
  drain_commands();
  std::vector<std::shared_ptr<WsConn>> live;
  for (auto &kv : conns_) live.push_back(kv.second);
  for (auto &c : live) {
    WsErrorInfo e;
    e.status = cancelled("runtime shutting down");
    e.phase = phase_name(c->phase_);
    fail(c, std::move(e));
  }
  // The context is destroyed by stop() after the join: another thread may still be inside
  // lws_cancel_service() on it until then.
}

Status WsLoop::post_to(const std::shared_ptr<WsLoopLink> &link, WsCommand cmd) {
  std::lock_guard<std::mutex> lock(link->mu);
  if (link->loop == nullptr) return failed_precondition("the runtime serving this websocket has stopped");
  return link->loop->post(std::move(cmd));
}

Result<std::shared_ptr<WsConnection>> WsLoop::connect(const WsConnectOptions &options,
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
  auto conn = std::make_shared<WsConn>(link_, std::move(url), options, std::move(handler), ctx_.metrics);
  conn->weak_self_ = conn;
  WsCommand cmd;
  cmd.kind = WsCommand::kConnect;
  cmd.conn = conn;
  VOXLINE_RETURN_IF_ERROR(post_to(link_, std::move(cmd)));
  return std::shared_ptr<WsConnection>(conn);
}

void WsLoop::drain_commands() {
  std::vector<WsCommand> cmds;
  commands_.drain(cmds);
  for (auto &c : cmds) handle(c);
}

void WsLoop::handle(WsCommand &cmd) {
  auto &conn = cmd.conn;
  if (stopped()) {
    // Only connections the loop never saw need an event here; the rest are failed in run().
    if (cmd.kind == WsCommand::kConnect) {
      ctx_.active_ws.fetch_add(1);
      conns_[conn->id_] = conn;
    }
    return;
  }
  switch (cmd.kind) {
    case WsCommand::kConnect: start_connect(conn); break;
    case WsCommand::kResolved: connect_resolved(conn, cmd.addrs); break;
    case WsCommand::kWrite:
      conn->write_pending_ = false;
      if (!conn->terminal_ && conn->wsi_ != nullptr && conn->phase_ == WsPhase::kOpen)
        lws_callback_on_writable(conn->wsi_);
      break;
    case WsCommand::kClose:
      if (conn->terminal_) break;
      if (conn->phase_ != WsPhase::kOpen) {
        WsErrorInfo e;
        e.status = cancelled("websocket closed before it opened");
        e.phase = phase_name(conn->phase_);
        fail(conn, std::move(e));
        break;
      }
      conn->close_requested_ = true;
      conn->close_code_ = cmd.close_code;
      conn->close_reason_ = cmd.close_reason;
      conn->phase_ = WsPhase::kClosing;
      conn->close_deadline_ = now() + conn->options_.timeouts.close;
      lws_callback_on_writable(conn->wsi_);
      break;
  }
}

void WsLoop::schedule_tick() {
  if (tick_scheduled_ || conns_.empty()) return;
  tick_scheduled_ = true;
  lws_sul_schedule(lws_, 0, &tick_->sul, tick_cb,
                   std::chrono::duration_cast<std::chrono::microseconds>(kTickInterval).count());
}

void WsLoop::start_connect(const std::shared_ptr<WsConn> &conn) {
  ctx_.active_ws.fetch_add(1);
  conns_[conn->id_] = conn;
  conn->phase_ = WsPhase::kDns;
  conn->connect_deadline_ = now() + conn->options_.timeouts.connect;
  schedule_tick();
  auto link = link_;
  std::weak_ptr<WsConn> weak = conn;
  Status s = ctx_.resolver->resolve_async(
      conn->url_.host, Deadline::at(conn->connect_deadline_),
      [link, weak](Result<std::vector<std::string>> r) {
        auto c = weak.lock();
        if (!c) return;
        WsCommand cmd;
        cmd.kind = WsCommand::kResolved;
        cmd.conn = c;
        cmd.addrs = std::move(r);
        (void)post_to(link, std::move(cmd));  // if refused, the connect deadline reports TIMEOUT
      });
  if (!s.ok()) {
    WsErrorInfo e;
    e.status = s;
    e.phase = "dns";
    fail(conn, std::move(e));
  }
}

void WsLoop::connect_resolved(const std::shared_ptr<WsConn> &conn,
                              const Result<std::vector<std::string>> &addrs) {
  if (conn->terminal_ || conn->phase_ != WsPhase::kDns) return;
  if (!addrs.ok() || addrs->empty()) {
    WsErrorInfo e;
    e.status = addrs.ok() ? unavailable("no address for " + conn->url_.host) : addrs.status();
    e.phase = "dns";
    fail(conn, std::move(e));
    return;
  }
  conn->address_ = addrs->front();
  conn->phase_ = WsPhase::kConnect;
  const auto &o = conn->options_;
  if (o.ping_interval_s > 0) {
    conn->retry_.secs_since_valid_ping = static_cast<uint16_t>(o.ping_interval_s);
    conn->retry_.secs_since_valid_hangup =
        static_cast<uint16_t>(o.ping_hangup_s > 0 ? o.ping_hangup_s : std::min(3 * o.ping_interval_s, 10800));
  }
  lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof ci);
  ci.context = lws_;
  ci.address = conn->address_.c_str();
  ci.port = conn->url_.port;
  ci.path = conn->url_.path_and_query.c_str();
  // Host header (with a non-default port, as HTTP wants it); lws strips ":port" again for SNI and
  // the certificate name check. IPv6 literals keep the bare address (lws would cut at its colons).
  conn->host_header_ =
      conn->url_.host.find(':') == std::string::npos ? conn->url_.host_header() : conn->url_.host;
  ci.host = conn->host_header_.c_str();
  ci.origin = conn->host_header_.c_str();
  ci.protocol = o.subprotocol.empty() ? nullptr : o.subprotocol.c_str();
  ci.local_protocol_name = kProtocols[0].name;
  ci.opaque_user_data = id_to_ptr(conn->id_);
  ci.pwsi = &conn->wsi_;
  if (o.ping_interval_s > 0) ci.retry_and_idle_policy = &conn->retry_;
  if (conn->url_.tls) {
    ci.ssl_connection = LCCSCF_USE_SSL;
    if (ctx_.options.tls.insecure_skip_verify)
      ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                           LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
  }
  struct lws *w = lws_client_connect_via_info(&ci);
  if (w == nullptr && !conn->terminal_) {
    conn->wsi_ = nullptr;
    WsErrorInfo e;
    e.status =
        unavailable("could not start a connection to " + conn->url_.host + " (" + conn->address_ + ")");
    e.phase = "connect";
    fail(conn, std::move(e));
  }
}

void WsLoop::release(const std::shared_ptr<WsConn> &conn) {
  if (conn->wsi_ != nullptr && !conn->killed_) {
    conn->killed_ = true;
    conn->killed_at_ = now();
    lws_set_timeout(conn->wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  }
  if (conn->wsi_ == nullptr) conns_.erase(conn->id_);
}

void WsLoop::end(const std::shared_ptr<WsConn> &conn) {
  conn->terminal_ = true;
  conn->state_ = WsState::kClosed;
  conn->out_.close();
  ctx_.active_ws.fetch_sub(1);
  if (conn->was_open_) ctx_.m.ws_open->add(-1);
  conn->phase_ = WsPhase::kDone;
}

void WsLoop::fail(const std::shared_ptr<WsConn> &conn, WsErrorInfo info) {
  if (conn->terminal_) return;
  end(conn);
  ctx_.count_error("ws", info.status);
  if (info.status.code() == StatusCode::kTimeout) ctx_.timeouts(info.phase).inc();
  std::shared_ptr<WsHandler> h = std::move(conn->handler_);
  deliver(ctx_, [&] { h->on_error(*conn, info); });
  release(conn);
}

void WsLoop::finish_close(const std::shared_ptr<WsConn> &conn, WsCloseInfo info) {
  if (conn->terminal_) return;
  end(conn);
  if (!info.status.ok()) ctx_.count_error("ws", info.status);
  std::shared_ptr<WsHandler> h = std::move(conn->handler_);
  deliver(ctx_, [&] { h->on_close(*conn, info); });
  release(conn);
}

void WsLoop::timeout(const std::shared_ptr<WsConn> &conn, const char *phase, Duration limit) {
  WsErrorInfo e;
  e.phase = phase;
  e.status = timeout_error(
      std::string("websocket ") + phase + " to " + conn->url_.host + " took longer than " +
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()) + " ms");
  fail(conn, std::move(e));
}

void WsLoop::on_tick() {
  tick_scheduled_ = false;
  const SteadyTime t = now();
  std::vector<std::shared_ptr<WsConn>> all;
  all.reserve(conns_.size());
  for (auto &kv : conns_) all.push_back(kv.second);
  // Keep ticking only while some connection has a deadline running: idle open connections with
  // nothing queued cost no wake-ups (a command restarts the tick).
  bool needed = false;
  for (auto &c : all) {
    if (c->terminal_) {
      if (c->killed_ && t - c->killed_at_ > kZombieGrace) {
        conns_.erase(c->id_);
      } else {
        needed = true;
      }
      continue;
    }
    const auto &to = c->options_.timeouts;
    needed = needed || c->phase_ != WsPhase::kOpen || to.idle > Duration::zero() || c->out_.size() > 0;
    switch (c->phase_) {
      case WsPhase::kDns:
      case WsPhase::kConnect:
        if (t >= c->connect_deadline_) timeout(c, phase_name(c->phase_), to.connect);
        break;
      case WsPhase::kHandshake:
        if (t >= c->handshake_deadline_) timeout(c, "handshake", to.handshake);
        break;
      case WsPhase::kOpen:
        if (to.idle > Duration::zero() && t - c->last_rx_ >= to.idle) {
          timeout(c, "idle", to.idle);
          break;
        }
        [[fallthrough]];
      case WsPhase::kClosing:
        if (c->phase_ == WsPhase::kClosing && t >= c->close_deadline_) {
          timeout(c, "close", to.close);
          break;
        }
        if (c->out_.size() > 0) {
          if (!c->send_wait_since_) {
            c->send_wait_since_ = t;
          } else if (to.send > Duration::zero() && t - *c->send_wait_since_ >= to.send) {
            timeout(c, "send", to.send);
            break;
          }
          lws_callback_on_writable(c->wsi_);  // safety net when a wake-up could not be queued
        } else {
          c->send_wait_since_.reset();
        }
        break;
      case WsPhase::kDone: break;
    }
  }
  if (needed) schedule_tick();
}

int WsLoop::on_lws_event(struct lws *wsi, int reason_int, void *user, void *in, size_t len) {
  (void)user;
  const auto reason = static_cast<enum lws_callback_reasons>(reason_int);
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
    drain_commands();
    schedule_tick();
    return 0;
  }
  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
    case LWS_CALLBACK_CLIENT_RECEIVE:
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: break;
    default: return 0;
  }
  auto it = conns_.find(ptr_to_id(lws_get_opaque_user_data(wsi)));
  if (it == conns_.end()) return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
  std::shared_ptr<WsConn> conn = it->second;  // keep alive while handlers run
  WsConn &c = *conn;

  switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
      if (c.terminal_) return -1;
      c.phase_ = WsPhase::kHandshake;
      c.handshake_deadline_ = now() + c.options_.timeouts.handshake;
      auto **p = static_cast<unsigned char **>(in);
      unsigned char *end = *p + len;
      for (const auto &h : c.options_.headers) {
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
          c.pending_error_ = WsErrorInfo{
              invalid_argument("handshake headers do not fit the lws buffer"), "handshake", 0, {}, {}};
          return -1;
        }
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
      if (c.terminal_) return -1;
      c.phase_ = c.close_requested_ ? WsPhase::kClosing : WsPhase::kOpen;
      c.last_rx_ = now();
      c.was_open_ = true;
      if (c.state_.load() == WsState::kConnecting) c.state_ = WsState::kOpen;
      ctx_.m.ws_open->add(1);
      WsOpenInfo info;
      info.http_status = lws_http_client_http_response(wsi);
      if (info.http_status == 0) info.http_status = 101;
      char proto[128] = {0};
      if (lws_hdr_copy(wsi, proto, sizeof proto, WSI_TOKEN_PROTOCOL) > 0) info.subprotocol = proto;
      if (c.state_.load() == WsState::kClosing && !c.close_requested_) {
        // close() raced with the handshake: its command already failed the connection.
      }
      std::shared_ptr<WsHandler> h = c.handler_;
      if (h) deliver(ctx_, [&] { h->on_open(c, info); });
      if (!c.terminal_ && c.out_.size() > 0) lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      if (c.terminal_) return -1;
      c.last_rx_ = now();
      if (lws_is_first_fragment(wsi)) {
        c.rx_.clear();
        c.rx_binary_ = lws_frame_is_binary(wsi) != 0;
      }
      if (c.rx_discard_) return 0;  // closing because of an oversized message
      if (c.rx_.size() + len > c.options_.max_message_bytes) {
        // Close with 1009 from the WRITEABLE callback (lws 4.1 corrupts its heap when a client
        // returns -1 from RECEIVE after lws_close_reason).
        c.pending_error_ =
            WsErrorInfo{protocol_error("incoming websocket message exceeds " +
                                       std::to_string(c.options_.max_message_bytes) + " bytes"),
                        "open",
                        0,
                        {},
                        {}};
        c.rx_discard_ = true;
        c.rx_.clear();
        c.close_requested_ = true;
        c.close_code_ = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
        c.close_reason_ = "message too big";
        c.phase_ = WsPhase::kClosing;
        c.close_deadline_ = now() + c.options_.timeouts.close;
        lws_callback_on_writable(wsi);
        schedule_tick();  // the close deadline needs the tick
        return 0;
      }
      c.rx_.append(static_cast<const char *>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        c.msgs_recv_.fetch_add(1, std::memory_order_relaxed);
        c.bytes_recv_.fetch_add(c.rx_.size(), std::memory_order_relaxed);
        ctx_.m.ws_bytes_received->inc(c.rx_.size());
        std::string msg;
        msg.swap(c.rx_);
        std::shared_ptr<WsHandler> h = c.handler_;
        if (h)
          deliver(ctx_, [&] {
            h->on_message(c, c.rx_binary_ ? WsMessageType::kBinary : WsMessageType::kText, msg);
          });
        if (c.terminal_) return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
      c.pongs_.fetch_add(1, std::memory_order_relaxed);
      c.last_rx_ = now();
      return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (c.terminal_) return -1;
      std::optional<OutMsg> m;
      if (!c.rx_discard_) m = c.out_.try_pop();
      if (m) {
        const size_t n = m->buf.size() - LWS_PRE;
        c.queued_bytes_ -= n;
        auto *payload = reinterpret_cast<unsigned char *>(&m->buf[LWS_PRE]);
        const int rc = lws_write(wsi, payload, n, m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        if (rc < static_cast<int>(n)) {
          // A failed write means the socket is gone: the peer dropped it without a close frame.
          c.pending_error_ = WsErrorInfo{unavailable("websocket to " + c.url_.host +
                                                     " dropped without a close frame (1006): write failed"),
                                         "send",
                                         0,
                                         {},
                                         {}};
          return -1;
        }
        c.msgs_sent_.fetch_add(1, std::memory_order_relaxed);
        c.bytes_sent_.fetch_add(n, std::memory_order_relaxed);
        ctx_.m.ws_bytes_sent->inc(n);
        if (c.out_.size() > 0) {
          c.send_wait_since_ = now();
          lws_callback_on_writable(wsi);
        } else {
          c.send_wait_since_.reset();
          if (c.close_requested_) lws_callback_on_writable(wsi);
        }
        return 0;
      }
      if (c.close_requested_ && !c.close_sent_) {
        c.close_sent_ = true;
        lws_close_reason(wsi, static_cast<enum lws_close_status>(c.close_code_),
                         reinterpret_cast<unsigned char *>(c.close_reason_.data()), c.close_reason_.size());
        return -1;
      }
      return 0;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      const auto *b = static_cast<const unsigned char *>(in);
      if (len >= 2) {
        c.peer_close_code_ = (b[0] << 8) | b[1];
        c.peer_close_reason_.assign(reinterpret_cast<const char *>(b) + 2, len - 2);
      } else {
        c.peer_close_code_ = 1005;
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED: {
      c.wsi_ = nullptr;
      if (!c.terminal_) {
        if (c.pending_error_) {
          fail(conn, std::move(*c.pending_error_));
        } else if (c.peer_close_code_ >= 0) {
          WsCloseInfo info;
          info.code = c.peer_close_code_;
          info.reason = c.peer_close_reason_;
          info.by_peer = true;
          info.status =
              c.peer_close_code_ == 1005 ? Status::Ok() : status_from_close_code(info.code, info.reason);
          finish_close(conn, std::move(info));
        } else if (c.close_sent_) {
          WsCloseInfo info;
          info.code = c.close_code_;
          info.reason = c.close_reason_;
          finish_close(conn, std::move(info));
        } else {
          WsErrorInfo e;
          e.status = unavailable("websocket to " + c.url_.host + " dropped without a close frame (1006)");
          e.phase = phase_name(c.phase_);
          fail(conn, std::move(e));
        }
      }
      conns_.erase(c.id_);
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      c.wsi_ = nullptr;
      if (!c.terminal_) {
        if (c.pending_error_) {
          fail(conn, std::move(*c.pending_error_));
        } else {
          const std::string why =
              in != nullptr ? std::string(static_cast<const char *>(in),
                                          strnlen(static_cast<const char *>(in), len > 0 ? len : 512))
                            : "";
          WsErrorInfo e;
          e.phase = phase_name(c.phase_);
          e.http_status = lws_http_client_http_response(wsi);
          static const struct {
            const char *name;
            enum lws_token_indexes token;
          } kKept[] = {{"content-type", WSI_TOKEN_HTTP_CONTENT_TYPE},
                       {"retry-after", WSI_TOKEN_HTTP_RETRY_AFTER},
                       {"www-authenticate", WSI_TOKEN_HTTP_WWW_AUTHENTICATE}};
          if (e.http_status > 0) {
            for (const auto &k : kKept) {
              char buf[512] = {0};
              if (lws_hdr_copy(wsi, buf, sizeof buf, k.token) > 0) e.headers.emplace_back(k.name, buf);
            }
          }
          if (e.http_status > 0 && e.http_status != 101) {
            e.status = status_from_http(e.http_status, "websocket upgrade refused (" + why + ")");
          } else if (why.find("SSL") != std::string::npos || why.find("ssl") != std::string::npos ||
                     why.find("certificate") != std::string::npos || why.find("tls") != std::string::npos) {
            e.status = unavailable("TLS failure connecting to " + c.url_.host + ": " + why);
          } else {
            e.status = unavailable("websocket connection to " + c.url_.host + " failed: " + why);
          }
          fail(conn, std::move(e));
        }
      }
      conns_.erase(c.id_);
      return 0;
    }
    default: return 0;
  }
}

}  // namespace voxline::detail
