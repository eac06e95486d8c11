// Internal: libcurl's multi_socket interface driven by one libuv loop (the pattern of curl's
// docs/examples/multi-uv.c). curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION: one
// uv_poll_t per socket) and when it next needs a timeout call (CURLMOPT_TIMERFUNCTION: one
// uv_timer_t). No thread, no polling slice, no scan of all transfers per wake-up.
//
//   CurlMultiUv curl(loop, &on_done, this);   // on_done(ctx, easy, result) after a transfer ends
//   curl.open(256, 16);   // max connections, HTTP/2 streams per connection
//   curl.add(easy);                          // outside curl callbacks
//   ...
//   curl.close();                            // removes nothing: remove your easies first
//
// Re-entrancy: curl's write and header callbacks run inside curl_multi_socket_action; add() and
// remove() must never be called from them (in_curl() tells). on_done runs after socket_action has
// returned, so it may remove and clean up easy handles and add new ones.
// Lifetime: every uv handle frees itself in its close callback, so the object may be destroyed
// right after close(), while those callbacks are still pending on the loop.
// Thread-safety: loop thread only.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include "voxline/core/status.hpp"

namespace voxline::detail {

class CurlMultiUv {
 public:
  using DoneFn = void (*)(void *ctx, CURL *easy, CURLcode result);

  CurlMultiUv(uv_loop_t *loop, DoneFn on_done, void *done_ctx) noexcept
      : loop_(loop), on_done_(on_done), done_ctx_(done_ctx) {}
  ~CurlMultiUv() { close(); }
  CurlMultiUv(const CurlMultiUv &) = delete;
  CurlMultiUv &operator=(const CurlMultiUv &) = delete;

  // Creates the multi handle (HTTP/2 multiplexing on, at most max_streams_per_connection streams
  // on one connection before another is opened) and the timer.
  Status open(long max_connects, long max_streams_per_connection);
  // Cleans up the multi (its pooled connections close, and CURL_POLL_REMOVE closes their poll
  // handles) and closes the timer. Idempotent.
  void close();

  CURLM *multi() const noexcept { return multi_; }
  uv_loop_t *loop() const noexcept { return loop_; }
  // True while curl_multi_socket_action runs, i.e. inside a write or header callback.
  bool in_curl() const noexcept { return depth_ > 0; }

  CURLMcode add(CURL *easy);
  void remove(CURL *easy);

  // Sockets currently watched (for tests and gauges).
  size_t watched_sockets() const noexcept { return sockets_; }

 private:
  struct Socket;
  struct Timer;
  static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp);
  static int on_timer(CURLM *multi, long timeout_ms, void *userp);
  static void on_poll(uv_poll_t *handle, int status, int events);
  static void on_timeout(uv_timer_t *handle);
  void action(curl_socket_t fd, int flags);
  void read_done();
  void close_socket(Socket *s);

  uv_loop_t *loop_;
  DoneFn on_done_;
  void *done_ctx_;
  CURLM *multi_ = nullptr;
  Timer *timer_ = nullptr;
  Socket *sockets_head_ = nullptr;  // every open poll handle, so close() can end leftovers
  size_t sockets_ = 0;
  int depth_ = 0;
};

}  // namespace voxline::detail
