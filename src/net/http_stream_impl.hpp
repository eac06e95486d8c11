// Internal: HttpStream as run by a slot's CurlHttpEngine: the request's transfer, by libcurl (the
// easy handle and its header and body callbacks) or by the runtime's own HTTP/1.1 client (an
// Http1Exchange on the slot's Http1Pool, http_stream_http1.cpp); the stream's one deadline timer;
// and the mapping of how the transfer ended to a Status and a phase. The handle side (cancel,
// done, id) is callable from any thread; the rest runs on the slot's loop thread.
//
// Deadlines: one uv_timer_t per stream, armed for the earliest deadline of the current phase
// (dns: connect; waiting for the head: first_byte; body: idle; total at any time). The idle
// deadline is re-armed lazily: a body chunk only stores the loop time, and the timer, when it
// fires early, moves itself to last_byte + idle. curl's own CONNECTTIMEOUT covers TCP + TLS.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/http1_connection.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/core/result.hpp"
#include "voxline/net/http_stream.hpp"
#include "voxline/net/url.hpp"

namespace voxline::detail {

class CurlHttpEngine;
class HttpInbox;

class HttpStreamImpl final : public HttpStream, private Http1Exchange {
 public:
  static std::shared_ptr<HttpStreamImpl> create(std::shared_ptr<HttpInbox> inbox, HttpRequest request,
                                                Url url, std::shared_ptr<HttpStreamHandler> handler);
  HttpStreamImpl(std::shared_ptr<HttpInbox> inbox, HttpRequest request, Url url,
                 std::shared_ptr<HttpStreamHandler> handler);
  ~HttpStreamImpl() override;

  // Any thread.
  void cancel() override;
  bool done() const override { return done_.load(std::memory_order_acquire); }
  uint64_t id() const override { return id_; }

  // Loop thread. The engine registers the stream, then calls begin() (or, at shutdown, attach()
  // and finish()).
  void attach(CurlHttpEngine &engine);
  void begin(CurlHttpEngine &engine);
  void on_resolved(const Result<std::vector<std::string>> &addrs);
  void on_transfer_done(CURLcode rc);
  void on_cancel_requested();
  // The one terminal path: removes the easy handle, closes the timer, delivers on_complete.
  // Never called from inside a curl callback.
  void finish(Status status, const char *phase);

 private:
  enum class Phase { kQueued, kDns, kConnect, kRequest, kBody, kDone };
  struct DeadlineTimer;

  static size_t on_header(char *buf, size_t size, size_t n, void *ud);
  static size_t on_body(char *ptr, size_t size, size_t n, void *ud);
  static void on_deadline(uv_timer_t *t);
  void check_deadline();
  void arm_deadline();
  void deliver_head();
  // The response head and body, as either transport reports them.
  void begin_head(int status);
  void add_header(std::string_view name, std::string_view value);
  void end_head();
  bool take_body(const char *data, size_t len);  // false: stop the transfer (cancelled or ended)
  Status configure(const std::vector<std::string> &addrs);
  // The own HTTP/1.1 client (http_stream_http1.cpp).
  void start_http1(bool fresh);
  void on_http1_connected() override;
  void on_http1_status(int status, int minor_version) override;
  void on_http1_header(std::string_view name, std::string_view value) override;
  void on_http1_head_complete() override;
  bool on_http1_body(const char *data, size_t len) override;
  void on_http1_done(Status status, bool stale) override;
  void release_http1();
  Status transfer_status(CURLcode rc, const char **phase);
  void redact_error_body();

  // Loop thread, read on every body chunk (on_body): kept together at the front of the object so
  // a chunk touches one or two of its cache lines, not five spread over the request and URL copies.
  CurlHttpEngine *engine_ = nullptr;
  uv_loop_t *loop_ = nullptr;
  Counter *bytes_received_ = nullptr;  // NetContext's http_bytes_received, resolved in attach()
  std::shared_ptr<HttpStreamHandler> handler_;
  std::atomic<bool> cancel_requested_{false};  // any thread sets it (cancel), the loop reads it
  bool terminal_ = false;
  bool head_delivered_ = false;
  bool first_byte_delivered_ = false;
  uint64_t last_byte_ms_ = 0;  // uv_now() at the head or the latest body chunk
  uint64_t body_bytes_ = 0;
  HttpResponseHead head_;

  const std::shared_ptr<HttpInbox> inbox_;
  const uint64_t id_;
  const HttpRequest request_;
  const Url url_;
  std::atomic<bool> done_{false};
  std::weak_ptr<HttpStreamImpl> weak_self_;  // set by create(), then read-only

  // Loop thread only.
  CURL *easy_ = nullptr;
  curl_slist *header_list_ = nullptr;
  curl_slist *resolve_list_ = nullptr;
  DeadlineTimer *timer_ = nullptr;
  char errbuf_[CURL_ERROR_SIZE] = {0};
  Phase phase_ = Phase::kQueued;
  uint64_t started_ms_ = 0;  // uv_now() at begin
  bool head_complete_ = false;
  std::string error_body_;
  bool error_body_redacted_ = false;

  // Loop thread only: the own HTTP/1.1 client.
  bool http1_ = false;               // this stream runs on the Http1Pool, not on curl
  Http1Connection *conn_ = nullptr;  // while the exchange is on it
  std::vector<std::string> addrs_;   // resolved, for a fresh connection
  bool stale_retried_ = false;       // resent once after a kept-alive connection turned out dead
  int http1_connections_ = 0;        // connections this request opened
  int http1_minor_ = 1;
  int http1_port_ = 0;
};

}  // namespace voxline::detail
