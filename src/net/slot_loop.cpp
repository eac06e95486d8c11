// SlotLoop: the uv loop thread of one slot, its task queue, its timers, its lws context and the
// shutdown sequence (see slot_loop.hpp).
#include "net/slot_loop.hpp"

#include <libwebsockets.h>

#include <cmath>
#include <cstring>
#include <future>

#include "net/deliver.hpp"
#include "net/tcp_tls_stream.hpp"
#include "net/wake_coalescing.hpp"
#include "net/ws_conn.hpp"

namespace voxline::detail {

namespace {
thread_local SlotLoop *tl_loop = nullptr;

// The slot's lws context serves no protocol: websockets run on our own transport (ws_conn.hpp).
int no_protocol(struct lws *, enum lws_callback_reasons, void *, void *, size_t) {
  return 0;
}
const struct lws_protocols kNoProtocols[] = {
    {"voxline-none", no_protocol, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// Flush rounds run back to back before the rest waits for the idle handle (sends made by
// on_drain handlers join the next round).
constexpr int kFlushRounds = 8;
}  // namespace

SlotLoop *current_slot_loop() noexcept {
  return tl_loop;
}

// A timer scheduled through Executor::schedule. `state` decides the race between cancel() on any
// thread and the expiry on the loop thread: whoever moves it out of kPending wins.
struct SlotTimer final : TimerHandle::Control, std::enable_shared_from_this<SlotTimer> {
  enum : int { kPending, kRunning, kDone, kCancelled };
  std::atomic<int> state{kPending};
  std::weak_ptr<SlotLoop> loop;
  SlotLoop *owner = nullptr;
  SteadyTime due{};
  Task task;                     // loop thread once armed
  uv_timer_t *handle = nullptr;  // loop thread

  bool cancel() noexcept override {
    int expected = kPending;
    if (!state.compare_exchange_strong(expected, kCancelled, std::memory_order_acq_rel)) return false;
    // Free the uv timer and the task early; if that cannot be queued the expiry drops them.
    if (auto l = loop.lock()) {
      if (l->in_loop_thread()) {
        l->disarm_timer(*this);
      } else {
        std::weak_ptr<SlotLoop> weak = l;
        (void)l->post([weak, self = shared_from_this()] {
          if (auto lp = weak.lock()) lp->disarm_timer(*self);
        });
      }
    }
    return true;
  }
  bool pending() const noexcept override { return state.load(std::memory_order_acquire) == kPending; }
};

namespace {
// The task that arms a timer scheduled from another thread. Destroyed without running (queue
// full, shutdown), it marks the timer cancelled so pending() tells the truth.
struct ArmTimer {
  SlotLoop *loop;
  std::shared_ptr<SlotTimer> timer;
  void operator()() { loop->arm_timer(std::move(timer)); }
  ArmTimer(SlotLoop *l, std::shared_ptr<SlotTimer> t) : loop(l), timer(std::move(t)) {}
  ArmTimer(ArmTimer &&) noexcept = default;
  ArmTimer &operator=(ArmTimer &&) noexcept = default;
  ~ArmTimer() {
    if (!timer) return;
    int expected = SlotTimer::kPending;
    timer->state.compare_exchange_strong(expected, SlotTimer::kCancelled);
    timer->task = nullptr;
  }
};
}  // namespace

SlotLoop::SlotLoop(std::shared_ptr<NetContext> ctx, int index, HttpEngineFactory http)
    : ctx_(std::move(ctx)),
      index_(index),
      http_factory_(std::move(http)),
      task_capacity_(std::max<size_t>(ctx_->options.task_queue_capacity, 1)) {}

SlotLoop::~SlotLoop() {
  stop();
  http_.reset();  // after the join: no thread can be inside it any more
}

bool SlotLoop::in_loop_thread() const noexcept {
  return tl_loop == this;
}

bool SlotLoop::closed() const {
  MutexLock lock(mu_);
  return closed_;
}

Status SlotLoop::start() {
  std::promise<Status> started;
  auto result = started.get_future();
  thread_ = std::thread([this, &started] { run(&started); });
  Status s = result.get();
  if (!s.ok()) {
    thread_.join();
    MutexLock lock(mu_);
    closed_ = true;
  }
  return s;
}

void SlotLoop::stop() {
  if (!thread_.joinable()) return;
  {
    MutexLock lock(mu_);
    closed_ = true;
    stop_requested_ = true;
    stop_flag_.store(true, std::memory_order_relaxed);
    if (async_open_) uv_async_send(&async_);  // under mu_: the loop cannot close it meanwhile (P7)
  }
  thread_.join();
}

Status SlotLoop::open_loop() {
  int rc = uv_loop_init(&loop_);
  if (rc != 0) return internal_error(std::string("uv_loop_init failed: ") + uv_strerror(rc));
  uv_async_init(&loop_, &async_, &SlotLoop::on_async);
  async_.data = this;
  uv_prepare_init(&loop_, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, &SlotLoop::on_prepare);
  uv_check_init(&loop_, &check_);
  check_.data = this;
  uv_check_start(&check_, &SlotLoop::on_check);
  uv_idle_init(&loop_, &idle_);
  idle_.data = this;
  loop_ready_ = true;
  {
    MutexLock lock(mu_);
    async_open_ = true;
  }

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  void *foreign_loops[1] = {&loop_};  // read only during lws_create_context
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kNoProtocols;
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.foreign_loops = foreign_loops;
  info.user = this;
  info.timeout_secs = 30;
  info.pcontext = &lws_;  // lws clears it when it finally frees the context
  // Our own client SSL_CTX: the one lws 4.1.6 creates leaks with several contexts (tls_client_ctx.hpp).
  client_ssl_ = make_client_ssl_ctx(ctx_->options.tls.ca_file);
  if (!client_ssl_) return internal_error("OpenSSL could not create a client TLS context");
  info.provided_client_ssl_ctx = client_ssl_.get();
  lws_ = lws_create_context(&info);
  if (lws_ == nullptr)
    return internal_error("libwebsockets could not create a client context on the uv loop");
  // A failed creation with a foreign loop returns a half-destroyed context (P5).
  if (lws_get_vhost_by_name(lws_, "default") == nullptr)
    return internal_error(
        "libwebsockets could not start on the uv loop (is the libwebsockets-evlib-uv plugin installed?)");
  if (http_factory_) {
    auto engine = http_factory_(*this);
    if (!engine.ok()) return engine.status();
    http_ = std::move(*engine);
  }
  return Status::Ok();
}

void SlotLoop::run_until_closed() {
  run_coalesced(&loop_, static_cast<uint64_t>(ctx_->options.io_coalesce.count()) * 1000);
}

void SlotLoop::run(std::promise<Status> *started) {
  tl_loop = this;
  Status s = open_loop();
  if (!s.ok()) {
    // Unwind what exists: lws context #1, our handles, let the loop drain, then #2 (P1, P5).
    if (loop_ready_) {
      if (lws_ != nullptr) lws_context_destroy(lws_);
      {
        MutexLock lock(mu_);
        async_open_ = false;
        closed_ = true;
      }
      uv_close(reinterpret_cast<uv_handle_t *>(&async_), nullptr);
      uv_close(reinterpret_cast<uv_handle_t *>(&prepare_), nullptr);
      uv_close(reinterpret_cast<uv_handle_t *>(&check_), nullptr);
      uv_close(reinterpret_cast<uv_handle_t *>(&idle_), nullptr);
      uv_run(&loop_, UV_RUN_DEFAULT);
      if (lws_ != nullptr) lws_context_destroy(lws_);
      lws_ = nullptr;
      client_ssl_.reset();
      http_.reset();
      (void)uv_loop_close(&loop_);
    }
    tl_loop = nullptr;
    started->set_value(s);
    return;
  }
  started->set_value(Status::Ok());
  run_until_closed();                              // returns once shutdown_on_loop closed every handle
  if (lws_ != nullptr) lws_context_destroy(lws_);  // #2, outside uv_run (P1)
  lws_ = nullptr;
  client_ssl_.reset();  // lws no longer refers to it
  // http_ stays until ~SlotLoop: Slot handles on other threads may still call it (it refuses
  // after its shutdown); its destructor makes no uv call.
  conns_.clear();
  const int rc = uv_loop_close(&loop_);
  if (rc != 0) {
    uv_walk(
        &loop_,
        [](uv_handle_t *h, void *) {
          VOXLINE_LOG_ERROR(default_logger(), "net", "uv handle left open at slot shutdown: {}",
                            uv_handle_type_name(h->type));
        },
        nullptr);
  }
  tl_loop = nullptr;
}

Status SlotLoop::post(Task task) {
  MutexLock lock(mu_);
  if (closed_) return failed_precondition("slot " + std::to_string(index_) + " has shut down");
  if (tasks_.size() >= task_capacity_) {
    ctx_->m.command_rejected->inc();
    return queue_full("slot " + std::to_string(index_) + " task queue holds " +
                      std::to_string(task_capacity_) + " tasks");
  }
  tasks_.push_back(std::move(task));
  if (tasks_.size() == 1 && attention_.empty()) uv_async_send(&async_);  // else a wake-up is pending
  if (tasks_.size() > 64) ctx_->m.command_high_water->update_max(static_cast<int64_t>(tasks_.size()));
  return Status::Ok();
}

Status SlotLoop::notify(const std::shared_ptr<WsConn> &conn) {
  MutexLock lock(mu_);
  if (closed_) return failed_precondition("slot " + std::to_string(index_) + " has shut down");
  attention_.push_back(conn);
  if (attention_.size() == 1 && tasks_.empty()) uv_async_send(&async_);
  return Status::Ok();
}

std::shared_ptr<SlotTimer> SlotLoop::timer_ref(SlotTimer *t) {
  auto it = timers_.find(t);
  return it == timers_.end() ? nullptr : it->second;
}

Result<TimerHandle> SlotLoop::schedule(Duration delay, Task task) {
  auto t = std::make_shared<SlotTimer>();
  t->loop = weak_from_this();
  t->owner = this;
  t->due = Clock::system().now() + std::max(delay, Duration::zero());
  t->task = std::move(task);
  if (in_loop_thread()) {
    if (stopping_) return failed_precondition("slot " + std::to_string(index_) + " has shut down");
    arm_timer(t);
  } else {
    VOXLINE_RETURN_IF_ERROR(post(ArmTimer{this, t}));
  }
  return TimerHandle(t);
}

void SlotLoop::arm_timer(std::shared_ptr<SlotTimer> t) {
  if (t->state.load(std::memory_order_acquire) != SlotTimer::kPending || stopping_) {
    t->task = nullptr;  // cancelled before it was armed
    return;
  }
  t->handle = new uv_timer_t;
  uv_timer_init(&loop_, t->handle);
  t->handle->data = t.get();
  timers_.emplace(t.get(), t);
  uv_update_time(&loop_);  // the cached loop time may be a whole callback old
  const auto left = t->due - Clock::system().now();
  const double ms = std::ceil(std::chrono::duration<double, std::milli>(left).count());
  uv_timer_start(
      t->handle,
      [](uv_timer_t *h) {
        auto *timer = static_cast<SlotTimer *>(h->data);
        SlotLoop *loop = timer->owner;
        std::shared_ptr<SlotTimer> keep = loop->timer_ref(timer);
        int expected = SlotTimer::kPending;
        const bool run =
            timer->state.compare_exchange_strong(expected, SlotTimer::kRunning, std::memory_order_acq_rel);
        Task fn = std::move(timer->task);
        loop->disarm_timer(*timer);
        if (!run) return;
        deliver(loop->ctx(), "timer", [&] { fn(); });
        fn = nullptr;
        timer->state.store(SlotTimer::kDone, std::memory_order_release);
      },
      ms > 0 ? static_cast<uint64_t>(ms) : 0, 0);
}

void SlotLoop::disarm_timer(SlotTimer &t) {
  if (t.handle == nullptr) {
    t.task = nullptr;
    return;
  }
  uv_close(reinterpret_cast<uv_handle_t *>(t.handle),
           [](uv_handle_t *h) { delete reinterpret_cast<uv_timer_t *>(h); });
  t.handle = nullptr;
  Task dead = std::move(t.task);  // destroyed on this thread, after the map entry is gone
  timers_.erase(&t);              // may release the last reference to t
}

void SlotLoop::track(const std::shared_ptr<WsConn> &conn) {
  conns_.emplace(conn.get(), conn);
}

void SlotLoop::untrack(WsConn *conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  std::shared_ptr<WsConn> keep = std::move(it->second);
  conns_.erase(it);
  keep->close_handles();
}

void SlotLoop::defer_flush(std::shared_ptr<WsConn> conn) {
  flushes_.push_back(std::move(conn));
}

void SlotLoop::run_flushes() {
  for (int round = 0; round < kFlushRounds && !flushes_.empty() && !stopping_; ++round) {
    flush_batch_.swap(flushes_);  // a flush may send again (on_drain): that joins the next round
    for (auto &c : flush_batch_) c->flush();
    flush_batch_.clear();
  }
  // Still more: keep the loop from sleeping in epoll until they are written.
  const bool more = !flushes_.empty() && !stopping_;
  if (more != idle_active_) {
    idle_active_ = more;
    if (more) {
      uv_idle_start(&idle_, [](uv_idle_t *h) { static_cast<SlotLoop *>(h->data)->run_flushes(); });
    } else {
      uv_idle_stop(&idle_);
    }
  }
}

void SlotLoop::on_check(uv_check_t *handle) {
  static_cast<SlotLoop *>(handle->data)->run_flushes();
}

void SlotLoop::on_prepare(uv_prepare_t *handle) {
  auto *self = static_cast<SlotLoop *>(handle->data);
  self->run_flushes();
  if (self->kick_ && self->lws_ != nullptr) {
    self->kick_ = false;
    lws_cancel_service(self->lws_);
  }
}

void SlotLoop::on_async(uv_async_t *handle) {
  static_cast<SlotLoop *>(handle->data)->drain();
}

void SlotLoop::drain() {
  bool stop;
  {
    MutexLock lock(mu_);
    run_batch_.swap(tasks_);
    attention_batch_.swap(attention_);
    stop = stop_requested_;
  }
  if (stop) {
    shutdown_on_loop();
    return;
  }
  for (auto &t : run_batch_) {
    if (stop_flag_.load(std::memory_order_relaxed)) break;  // shutdown: the rest die unrun
    deliver(*ctx_, "task", [&] { t(); });
    t = nullptr;  // captured state dies here, in order
  }
  run_batch_.clear();
  for (auto &c : attention_batch_) c->on_attention();
  attention_batch_.clear();
}

void SlotLoop::shutdown_on_loop() {
  if (stopping_) return;
  stopping_ = true;
  // Step 2: queued tasks die unrun; connections waiting to start, and every live one, are
  // cancelled; pending timers are cancelled.
  run_batch_.clear();
  for (auto &c : attention_batch_) c->on_attention();  // in stopping mode: starts are cancelled
  attention_batch_.clear();
  flushes_.clear();
  std::vector<std::shared_ptr<WsConn>> live;
  live.reserve(conns_.size());
  for (auto &kv : conns_) live.push_back(kv.second);
  for (auto &c : live) c->cancel_for_shutdown();
  live.clear();
  std::vector<SlotTimer *> timers;
  for (auto &kv : timers_) timers.push_back(kv.first);
  for (SlotTimer *t : timers) {
    int expected = SlotTimer::kPending;
    t->state.compare_exchange_strong(expected, SlotTimer::kCancelled);
    disarm_timer(*t);
  }
  // Step 3: the HTTP engine, before lws_context_destroy #1.
  if (http_) http_->shutdown();
  // Step 4: lws closes every wsi (CLIENT_CLOSED arrives synchronously) and its handles.
  lws_context_destroy(lws_);
  // Step 5: our own handles.
  for (auto &kv : conns_) kv.second->close_handles();
  {
    MutexLock lock(mu_);
    async_open_ = false;
  }
  uv_close(reinterpret_cast<uv_handle_t *>(&async_), nullptr);
  uv_prepare_stop(&prepare_);
  uv_close(reinterpret_cast<uv_handle_t *>(&prepare_), nullptr);
  uv_check_stop(&check_);
  uv_close(reinterpret_cast<uv_handle_t *>(&check_), nullptr);
  uv_idle_stop(&idle_);
  uv_close(reinterpret_cast<uv_handle_t *>(&idle_), nullptr);
  // Sockets still writing a last close frame for a connection that has ended.
  TcpTlsStream::close_lingering(&loop_);
  // Step 6 happens in run(): uv_run returns once all of these closed.
}

}  // namespace voxline::detail
