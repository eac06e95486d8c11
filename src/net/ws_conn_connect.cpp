// WsConn connecting: DNS off the loop, each resolved address in turn, the upgrade request and
// the server's answer, and what a refused upgrade reports (see ws_conn.hpp for the threading
// rules).
#include "net/ws_conn.hpp"

#include <algorithm>
#include <cstdlib>
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
  connect_next();
}

void WsConn::connect_next() {
  if (terminal_ || phase_ != Phase::kConnect) return;
  if (next_addr_ >= addrs_.size()) {
    WsErrorInfo e;
    e.status = last_connect_tls_
                   ? unavailable("TLS failure connecting to " + url_.host + ": " + last_connect_error_)
                   : unavailable("websocket connection to " + url_.host + " failed: " + last_connect_error_);
    e.phase = "connect";
    fail(std::move(e));
    return;
  }
  address_ = addrs_[next_addr_++];
  stream_ = std::make_unique<TcpTlsStream>(*loop_, static_cast<TcpTlsEvents &>(*this));
  TcpTlsOptions tls;
  tls.host = url_.host;
  tls.insecure_skip_verify = ctx_.options.tls.insecure_skip_verify;
  const std::string err = stream_->connect(address_, url_.port, url_.tls ? &tls : nullptr);
  if (!err.empty()) connect_failed(err, false);
}

void WsConn::connect_failed(const std::string &why, bool tls) {
  last_connect_error_ = why + " (" + address_ + ")";
  last_connect_tls_ = tls;
  stream_.reset();  // safe inside the stream's own event (tcp_tls_stream.hpp)
  if (next_addr_ < addrs_.size())
    VOXLINE_LOG_DEBUG(*ctx_.logger, "net", "websocket to {}: {}; trying the next address", url_.host,
                      last_connect_error_);
  connect_next();
}

void WsConn::on_stream_connected() {
  std::shared_ptr<WsConn> keep = shared_from_this();
  if (terminal_ || phase_ != Phase::kConnect) return;
  phase_ = Phase::kHandshake;
  handshake_due_ = now_ms() + to_ms(options_.timeouts.handshake);
  rearm();
  key_ = ws_make_key();
  handshake_ = std::make_unique<WsHandshakeParser>();
  const std::string request = ws_build_upgrade_request(url_, options_.headers, options_.subprotocol, key_);
  in_write_ = true;
  const bool ok =
      stream_->write(reinterpret_cast<const uint8_t *>(request.data()), request.size()) && stream_->flush();
  in_write_ = false;
  if (!ok || stream_failed_) after_stream_failure();
}

void WsConn::on_handshake_bytes(const uint8_t *data, size_t len) {
  const size_t used = handshake_->feed(reinterpret_cast<const char *>(data), len);
  if (handshake_->failed()) {
    WsErrorInfo e;
    e.status = protocol_error("websocket upgrade to " + url_.host + ": " + handshake_->error());
    e.phase = "handshake";
    return fail(std::move(e));
  }
  if (!handshake_->done()) return;
  const int status = handshake_->status();
  if (status != 101) {
    // Refused: every header is kept, and the body (Deepgram's JSON error) up to 64 KB.
    phase_ = Phase::kRefused;
    refusal_.phase = "handshake";
    refusal_.http_status = status;
    refusal_.headers = handshake_->headers();
    refusal_body_want_ = 0;
    refusal_until_eof_ = false;
    if (auto cl = find_header(refusal_.headers, "content-length")) {
      refusal_body_want_ = std::min<size_t>(std::strtoull(std::string(*cl).c_str(), nullptr, 10), 64 * 1024);
    } else if (!find_header(refusal_.headers, "transfer-encoding")) {
      refusal_until_eof_ = true;  // HTTP/1.1 without a length: the body ends with the connection
    }
    return on_refusal_bytes(data + used, len - used);
  }
  const std::string why = handshake_->accepts(key_, options_.subprotocol);
  if (!why.empty()) {
    WsErrorInfo e;
    e.status = protocol_error("websocket upgrade to " + url_.host + " not accepted: " + why);
    e.phase = "handshake";
    e.http_status = status;
    e.headers = handshake_->headers();
    return fail(std::move(e));
  }
  open_info_.http_status = 101;
  if (auto p = find_header(handshake_->headers(), "sec-websocket-protocol")) open_info_.subprotocol = *p;
  if (auto id = find_header(handshake_->headers(), "dg-request-id")) open_info_.request_id = *id;
  handshake_.reset();
  on_established();
  if (!terminal_ && used < len) feed_frames(data + used, len - used);
}

void WsConn::on_refusal_bytes(const uint8_t *data, size_t len) {
  const size_t cap = refusal_until_eof_ ? 64 * 1024 : refusal_body_want_;
  const size_t take = std::min(len, cap - std::min(cap, refusal_.body.size()));
  refusal_.body.append(reinterpret_cast<const char *>(data), take);
  if (!refusal_until_eof_ || refusal_.body.size() >= cap) {
    if (refusal_.body.size() >= refusal_body_want_ || refusal_until_eof_) finish_refusal();
  }
}

void WsConn::finish_refusal() {
  if (terminal_) return;
  const int status = refusal_.http_status;
  std::string detail = "websocket upgrade refused (HTTP " + std::to_string(status);
  if (handshake_ && !handshake_->reason().empty()) detail += " " + handshake_->reason();
  detail += ")";
  if (auto dg = find_header(refusal_.headers, "dg-error")) detail += ": " + std::string(*dg);
  refusal_.status = status_from_http(status, detail);
  WsErrorInfo e = std::move(refusal_);
  fail(std::move(e));
}

}  // namespace voxline::detail
