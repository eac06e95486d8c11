// HttpStreamImpl on the runtime's own HTTP/1.1 client: the Http1Exchange side of a stream (see
// http_stream_impl.hpp and http1_connection.hpp). Loop thread only.
#include "net/curl_http_engine.hpp"
#include "net/http1_pool.hpp"
#include "net/http_stream_impl.hpp"

namespace voxline::detail {

void HttpStreamImpl::start_http1(bool fresh) {
  bool opened = false;
  phase_ = Phase::kConnect;
  Http1Connection *c = engine_->http1()->start(url_, addrs_, request_, *this, fresh, &opened);
  if (terminal_) return;  // it failed inside start (a bad address): on_http1_done finished it
  if (c == nullptr) {
    finish(cancelled("runtime shutting down"), "shutdown");
    return;
  }
  conn_ = c;
  if (opened) {
    ++http1_connections_;
  } else {
    phase_ = Phase::kRequest;  // written on a kept-alive connection
    http1_port_ = c->local_port();
  }
  arm_deadline();
}

void HttpStreamImpl::on_http1_connected() {
  if (terminal_) return;
  phase_ = Phase::kRequest;
  if (conn_ != nullptr) http1_port_ = conn_->local_port();
  arm_deadline();
}

void HttpStreamImpl::on_http1_status(int status, int minor_version) {
  http1_minor_ = minor_version;
  begin_head(status);
}

void HttpStreamImpl::on_http1_header(std::string_view name, std::string_view value) {
  add_header(name, value);
}

void HttpStreamImpl::on_http1_head_complete() {
  if (!terminal_) end_head();
}

bool HttpStreamImpl::on_http1_body(const char *data, size_t len) {
  return take_body(data, len);
}

void HttpStreamImpl::on_http1_done(Status status, bool stale) {
  conn_ = nullptr;
  if (terminal_) return;
  if (cancel_requested_.load()) {
    finish(cancelled("HTTP stream cancelled"), "cancel");
    return;
  }
  if (status.ok()) {
    if (head_.status >= 200 && head_.status < 300) {
      finish(Status::Ok(), "done");
      return;
    }
    redact_error_body();
    finish(status_from_http(head_.status, error_body_), "response");  // whole body: redacted, then cut
    return;
  }
  if (stale && !stale_retried_ && !first_byte_delivered_) {
    // The server dropped the kept-alive connection before reading the request: resend it once on
    // a fresh connection (what curl does too); the caller never saw a byte of this attempt.
    stale_retried_ = true;
    start_http1(true);
    return;
  }
  if (phase_ == Phase::kConnect) {
    finish(std::move(status), "connect");
    return;
  }
  const char *phase = head_complete_ ? "body" : "first_byte";
  // A malformed response stays PROTOCOL_ERROR (not worth a retry); a dropped one is UNAVAILABLE.
  const StatusCode code =
      status.code() == StatusCode::kProtocolError ? StatusCode::kProtocolError : StatusCode::kUnavailable;
  finish(Status(code,
                "HTTP stream from " + url_.host + " failed (" + phase + "): " + status.message() +
                    (head_complete_ && code == StatusCode::kUnavailable ? " (connection dropped mid-stream)"
                                                                        : "")),
         phase);
}

// The exchange ends before its response did (cancel, deadline, shutdown): the connection closes.
void HttpStreamImpl::release_http1() {
  if (conn_ == nullptr) return;
  Http1Connection *c = conn_;
  conn_ = nullptr;
  if (Http1Pool *pool = engine_->http1()) pool->abandon(c);
}

}  // namespace voxline::detail
