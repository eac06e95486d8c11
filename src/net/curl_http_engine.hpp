// Internal: the HTTP half of one slot. CurlHttpEngine lives on the slot's loop thread and owns one
// CurlMultiUv (libcurl on the slot's uv loop), the Http1Pool of the runtime's own HTTP/1.1 client
// when RuntimeOptions::http_client picks it, the live streams and their deadline timers.
// HttpInbox is its any-thread front door: start, cancel, preconnect and DNS answers travel
// through it (a short mutex, then uv_async_send), so only the loop thread ever calls curl.
//
//   // on the slot thread, while the loop starts (SlotLoop's HttpEngineFactory):
//   auto engine = std::make_unique<CurlHttpEngine>(ctx, loop, slot_index);
//   VOXLINE_RETURN_IF_ERROR(engine->open());
//   std::shared_ptr<HttpInbox> inbox = engine->inbox();    // kept by the Slot and every stream
//   // any thread:
//   auto stream = inbox->start(std::move(request), handler);
//   // on the slot thread, shutdown step 3 (before lws_context_destroy #1):
//   engine->shutdown();   // every live stream ends with CANCELLED; handles close themselves
//   engine.reset();       // allowed at once: pending uv close callbacks own their memory
//
// Lifetime: the inbox outlives the engine; after shutdown() start/preconnect return
// FAILED_PRECONDITION and cancel does nothing.
// Thread-safety: HttpInbox methods from any thread; CurlHttpEngine methods on the loop thread only.
#pragma once

#include <uv.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/curl_multi_uv.hpp"
#include "net/http1_pool.hpp"
#include "net/net_context.hpp"
#include "net/slot_loop.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/core/thread_annotations.hpp"
#include "voxline/net/http_stream.hpp"

namespace voxline::detail {

class CurlHttpEngine;
class HttpStreamImpl;

// HTTP-only instruments, resolved once per engine (never a registry lookup on the per-chunk
// path, nor per completion). Byte counters, open streams and the command queue's are NetContext's
// (ctx().m).
struct HttpInstruments {
  Counter *connections_opened = nullptr;  // CURLINFO_NUM_CONNECTS summed: 0 per reused connection
  Counter *preconnect_ok = nullptr;
  Counter *preconnect_failed = nullptr;
  std::array<Counter *, 5> timeouts{};  // by TimeoutPhase
  std::array<Counter *, 15> errors{};   // by status_index()

  void bind(const NetContext &ctx);
  Counter *timeout(std::string_view phase) const noexcept;
  Counter *error(StatusCode code) const noexcept;
};

class HttpInbox : public std::enable_shared_from_this<HttpInbox> {
 public:
  explicit HttpInbox(size_t capacity) : capacity_(capacity) {}

  // Validates and queues a stream. INVALID_ARGUMENT for a bad request, QUEUE_FULL when
  // `capacity` starts are already waiting, FAILED_PRECONDITION after shutdown.
  Result<std::shared_ptr<HttpStream>> start(HttpRequest request, std::shared_ptr<HttpStreamHandler> handler);
  // Warms a connection to the origin of `url` (a HEAD / whose response is discarded).
  Status preconnect(std::string_view url);

  // From HttpStreamImpl: ask the loop to end `stream` (no-op after shutdown).
  void cancel(std::shared_ptr<HttpStreamImpl> stream);
  // From a resolver thread: the addresses for `stream`.
  void resolved(std::shared_ptr<HttpStreamImpl> stream, Result<std::vector<std::string>> addrs);

 private:
  friend class CurlHttpEngine;
  struct Item {
    enum Kind { kStart, kCancel, kResolved } kind = kStart;
    std::shared_ptr<HttpStreamImpl> stream;
    Result<std::vector<std::string>> addrs{Status(StatusCode::kInternal, "unset")};
  };
  Status push(Item item, bool counted);

  const size_t capacity_;
  Mutex mu_;
  CurlHttpEngine *engine_ VOXLINE_GUARDED_BY(mu_) = nullptr;
  uv_async_t *async_ VOXLINE_GUARDED_BY(mu_) = nullptr;
  std::vector<Item> items_ VOXLINE_GUARDED_BY(mu_);
  size_t pending_starts_ VOXLINE_GUARDED_BY(mu_) = 0;
};

class CurlHttpEngine final : public HttpEngine {
 public:
  using LoadFn = std::function<void(int64_t delta)>;
  // `on_load` hears +1 when a stream starts and -1 when it ends (Slot::load()).
  CurlHttpEngine(NetContext &ctx, uv_loop_t *loop, int slot_index, LoadFn on_load = {});
  ~CurlHttpEngine() override;
  CurlHttpEngine(const CurlHttpEngine &) = delete;
  CurlHttpEngine &operator=(const CurlHttpEngine &) = delete;

  // Loop thread: creates the curl multi and the inbox wake-up.
  Status open();
  // Loop thread, before the first stream: requests run on the own HTTP/1.1 client from now on.
  void use_http1(SlotLoop &loop);
  // The own HTTP/1.1 client's pool; nullptr when requests run on curl.
  Http1Pool *http1() const noexcept { return http1_.get(); }
  // Loop thread, outside curl callbacks: ends every stream (CANCELLED, phase "shutdown"),
  // closes the inbox, cleans up curl. Idempotent.
  void shutdown() override;

  // Any thread: the inbox's start() and preconnect().
  Result<std::shared_ptr<HttpStream>> start(HttpRequest request,
                                            std::shared_ptr<HttpStreamHandler> handler) override {
    return inbox_->start(std::move(request), std::move(handler));
  }
  Status preconnect(std::string_view url) override { return inbox_->preconnect(url); }
  const std::shared_ptr<HttpInbox> &inbox() const noexcept { return inbox_; }
  // Streams started and not yet completed (any thread; for Slot::load()).
  size_t live_streams() const noexcept { return live_count_.load(std::memory_order_relaxed); }

  // For HttpStreamImpl (loop thread).
  NetContext &ctx() noexcept { return ctx_; }
  CurlMultiUv &curl() noexcept { return curl_; }
  uv_loop_t *loop() const noexcept { return loop_; }
  const HttpInstruments &m() const noexcept { return m_; }
  const std::string &system_ca_path() const noexcept { return system_ca_path_; }
  bool on_loop_thread() const noexcept { return std::this_thread::get_id() == thread_; }
  // Forgets a stream that has delivered its terminal event.
  void forget(uint64_t id);

 private:
  friend class HttpInbox;
  void wake();  // inbox items are waiting (loop thread, from the uv_async callback)
  void handle(HttpInbox::Item &item);
  static void on_transfer_done(void *ctx, CURL *easy, CURLcode result);

  NetContext &ctx_;
  uv_loop_t *loop_;
  const int slot_index_;
  const std::thread::id thread_;
  const LoadFn on_load_;
  HttpInstruments m_;
  CurlMultiUv curl_;
  std::shared_ptr<HttpInbox> inbox_;
  std::string system_ca_path_;  // curl's built-in CAPATH, kept when TlsOptions::ca_file is added
  std::unique_ptr<Http1Pool> http1_;
  std::unordered_map<uint64_t, std::shared_ptr<HttpStreamImpl>> live_;
  std::atomic<size_t> live_count_{0};
  bool open_ = false;
  bool shut_ = false;
};

// The client RuntimeOptions::http_client picks (kAuto resolved by the environment's proxies).
HttpClient resolve_http_client(HttpClient configured);

// The SlotLoop's HttpEngineFactory: a CurlHttpEngine on `loop`, opened, counting its streams
// into the slot's load, on the own HTTP/1.1 client unless curl was picked.
Result<std::unique_ptr<HttpEngine>> make_curl_http_engine(SlotLoop &loop);

}  // namespace voxline::detail
