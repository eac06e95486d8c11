// WsConn connecting: DNS off the loop, each resolved address in turn, and what a failed
// connection or upgrade reports (see ws_conn.hpp for the threading rules).
#include "net/ws_conn.hpp"

#include <algorithm>
#include <cstring>

#include "net/slot_loop.hpp"
#include "voxline/net/http_status.hpp"

namespace voxline::detail {

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
  ci.local_protocol_name = ws_client_protocols()[0].name;
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
