// Internal: SlotLoop, the engine of one Runtime slot: one thread running one uv_loop_t that
// drives our websocket clients (TcpTlsStream sockets), libcurl, timers and tasks posted from
// other threads. A libwebsockets context with no protocol sits on the loop as a foreign loop.
//
// Threads. Only the loop thread touches uv handles, the lws context and connection internals.
// Other threads reach it through two doors, both guarded by mu_ with uv_async_send called while
// mu_ is held and the closed flag checked under it (spike pitfall P7):
//   - post(): the bounded task queue (task_queue_capacity, QUEUE_FULL beyond) for user tasks,
//     timer arming and cancellation;
//   - notify(conn): a connection asks for attention (start, write, close, abort, ...). A
//     connection is in that list at most once (its pending-op bits go 0 -> non-zero), so the list
//     is bounded by the number of live connections and a close() can never be refused.
// One async callback drains both, in that order. A uv_prepare kicks lws (lws_cancel_service)
// once per iteration when something armed an lws timer from outside an lws callback (P3).
// Deferred flushes: a connection with new sends joins the flush list once (defer_flush); the
// list is written out by the uv_check after the I/O callbacks and by the uv_prepare before the
// loop waits again, so every send made in one callback goes out together, priority lane first,
// straight from the loop with no POLLOUT round trip (libuv 1.44 turns every poll-mask change
// into epoll_ctl DEL + ADD).
//
// Shutdown (stop(), from a non-loop thread; the sequence of spike README §3):
//   1. closed_ = true under mu_ (later posts and notifies fail with FAILED_PRECONDITION);
//   2. on the loop: queued tasks are destroyed without running; pending notifies are processed
//      in stopping mode; every live connection gets on_error(CANCELLED); pending timers are
//      cancelled (their tasks destroyed);
//   3. the HTTP engine's shutdown() (curl handles removed, curl_multi_cleanup, its uv handles
//      closed) - BEFORE lws_context_destroy #1;
//   4. lws_context_destroy #1 (lws closes its handles asynchronously);
//   5. uv_close of our own handles (async, prepare, check, idle, timers, connection deadline
//      timers, and sockets still writing a last close frame for an ended connection);
//   6. uv_run returns by itself once every handle is closed;
//   7. lws_context_destroy #2 (frees the context; never in the same callback as #1: P1);
//   8. uv_loop_close (the HTTP engine object lives on until ~SlotLoop, see below).
//
// How the HTTP engine plugs in (libcurl multi_socket on this loop, owned by the net HTTP code):
//   - Runtime passes an HttpEngineFactory to the SlotLoop constructor. start() calls it ON THE
//     LOOP THREAD after the lws context exists; the engine then creates its CURLM, uv_timer_t and
//     uv_poll_t handles on uv() and keeps a back pointer to the SlotLoop.
//   - HttpEngine::start()/preconnect() are called from ANY thread (Slot::start_http): they
//     validate, then hand the request to the loop through the engine's own inbox (bounded by
//     task_queue_capacity: QUEUE_FULL; FAILED_PRECONDITION after its shutdown). The engine
//     (CurlHttpEngine, net/curl_http_engine.hpp) is the factory make_curl_http_engine.
//   - Every curl callback runs inside a uv callback on this thread; deliver handler events there.
//     add_load(+1/-1) per stream keeps Slot::load() honest; ctx() gives options, metrics, logger
//     and the resolver.
//   - shutdown() is step 3 above, on the loop thread: end every stream with CANCELLED, remove and
//     clean up every easy handle, curl_multi_cleanup, uv_close the curl timer (poll handles close
//     from CURL_POLL_REMOVE). The engine object is destroyed by ~SlotLoop, after the thread
//     joined, so Slot handles may call it at any time; its destructor makes no uv call.
//   - Without a factory the slot has no HTTP: start_http gives FAILED_PRECONDITION.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/net_context.hpp"
#include "net/tls_client_ctx.hpp"
#include "net/ws_frame.hpp"
#include "voxline/core/executor.hpp"
#include "voxline/core/thread_annotations.hpp"
#include "voxline/net/http_stream.hpp"

struct lws_context;

namespace voxline::detail {

class SlotLoop;
class WsConn;
struct SlotTimer;

class HttpEngine {
 public:
  virtual ~HttpEngine() = default;
  // Any thread.
  virtual Result<std::shared_ptr<HttpStream>> start(HttpRequest request,
                                                    std::shared_ptr<HttpStreamHandler> handler) = 0;
  virtual Status preconnect(std::string_view url) = 0;
  // Loop thread, shutdown step 3.
  virtual void shutdown() = 0;
};
using HttpEngineFactory = std::function<Result<std::unique_ptr<HttpEngine>>(SlotLoop &loop)>;

class SlotLoop : public std::enable_shared_from_this<SlotLoop> {
 public:
  SlotLoop(std::shared_ptr<NetContext> ctx, int index, HttpEngineFactory http = {});
  ~SlotLoop();
  SlotLoop(const SlotLoop &) = delete;
  SlotLoop &operator=(const SlotLoop &) = delete;

  // Starts the thread and returns once the loop, the lws context and the HTTP engine exist.
  Status start();
  // Runs the shutdown sequence and joins. Not from the loop thread. Idempotent.
  void stop();

  // ---- any thread
  Status post(Task task);
  Result<TimerHandle> schedule(Duration delay, Task task);
  bool in_loop_thread() const noexcept;
  // Asks for conn->on_attention() on the loop thread; FAILED_PRECONDITION once closed.
  Status notify(const std::shared_ptr<WsConn> &conn);
  int index() const noexcept { return index_; }
  bool closed() const;
  int64_t load() const noexcept { return load_.load(std::memory_order_relaxed); }
  void add_load(int64_t delta) noexcept { load_.fetch_add(delta, std::memory_order_relaxed); }

  // ---- loop thread only
  uv_loop_t *uv() noexcept { return &loop_; }
  struct lws_context *lws() noexcept {
    return lws_;
  }
  NetContext &ctx() noexcept { return *ctx_; }
  const std::shared_ptr<NetContext> &shared_ctx() const noexcept { return ctx_; }
  HttpEngine *http_engine() noexcept { return http_.get(); }
  // True once the shutdown sequence started (new connections are cancelled at once).
  bool stopping() const noexcept { return stopping_; }
  // Call after lws_client_connect_via_info / lws_set_timeout / lws_sul_schedule from a uv
  // callback: lws re-arms its timer only after a cancel_service (P3). Batched per iteration.
  void kick_lws() noexcept { kick_ = true; }
  // Queues conn->flush() before the loop next waits for I/O (the connection lists itself once).
  void defer_flush(std::shared_ptr<WsConn> conn);
  // The client TLS context of this slot's connections (trust store, options).
  ssl_ctx_st *client_ssl_ctx() noexcept { return client_ssl_.get(); }
  // One read buffer for every socket of this loop: a read is handed on before the next starts.
  static constexpr size_t kReadScratch = 64 * 1024;
  uint8_t *read_scratch() noexcept { return read_scratch_.get(); }
  // Masking keys for the websocket frames written on this loop.
  WsMaskSource &mask_source() noexcept { return masks_; }
  void track(const std::shared_ptr<WsConn> &conn);
  void untrack(WsConn *conn);
  size_t tracked() const noexcept { return conns_.size(); }
  // Arms a timer node created by schedule() (loop thread).
  void arm_timer(std::shared_ptr<SlotTimer> timer);
  void disarm_timer(SlotTimer &timer);
  std::shared_ptr<SlotTimer> timer_ref(SlotTimer *timer);

 private:
  void run(std::promise<Status> *started);
  void run_until_closed();
  Status open_loop();
  static void on_async(uv_async_t *handle);
  static void on_prepare(uv_prepare_t *handle);
  static void on_check(uv_check_t *handle);
  void run_flushes();
  void drain();
  void shutdown_on_loop();

  std::shared_ptr<NetContext> ctx_;
  const int index_;
  HttpEngineFactory http_factory_;
  std::thread thread_;
  std::atomic<int64_t> load_{0};
  std::atomic<bool> stop_flag_{false};  // stop() was called: the running batch stops early

  mutable Mutex mu_;
  bool closed_ VOXLINE_GUARDED_BY(mu_) = false;
  bool stop_requested_ VOXLINE_GUARDED_BY(mu_) = false;
  bool async_open_ VOXLINE_GUARDED_BY(mu_) = false;
  std::vector<Task> tasks_ VOXLINE_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<WsConn>> attention_ VOXLINE_GUARDED_BY(mu_);
  const size_t task_capacity_;

  // Loop thread only.
  uv_loop_t loop_{};
  uv_async_t async_{};
  uv_prepare_t prepare_{};
  uv_check_t check_{};
  uv_idle_t idle_{};
  bool idle_active_ = false;
  struct lws_context *lws_ = nullptr;
  ClientSslCtx client_ssl_;  // given to lws_ (which never frees it); freed after destroy #2
  std::unique_ptr<HttpEngine> http_;
  bool loop_ready_ = false;
  bool stopping_ = false;
  bool kick_ = false;
  std::vector<Task> run_batch_;
  std::vector<std::shared_ptr<WsConn>> attention_batch_;
  std::vector<std::shared_ptr<WsConn>> flushes_, flush_batch_;
  WsMaskSource masks_;
  std::unique_ptr<uint8_t[]> read_scratch_{new uint8_t[kReadScratch]};
  std::unordered_map<WsConn *, std::shared_ptr<WsConn>> conns_;
  std::unordered_map<SlotTimer *, std::shared_ptr<SlotTimer>> timers_;
};

// The loop running on this thread, or nullptr.
SlotLoop *current_slot_loop() noexcept;

}  // namespace voxline::detail
