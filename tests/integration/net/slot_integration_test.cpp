// Slots (Runtime v2): tasks, timers and websockets that share one slot run on its one thread in
// order; the task queue is bounded; timers cancel race-free from any thread; shutdown runs no
// pending task. Against voxline-sim on 127.0.0.1.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "integration/net/net_test_support.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/rate_limiter.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/slot.hpp"

using namespace voxline;
using namespace voxline::nettest;

namespace {

// Every event of a test, with the thread it ran on, in the order it happened.
class Journal {
 public:
  void add(std::string what) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back({std::this_thread::get_id(), std::move(what)});
    cv_.notify_all();
  }
  bool wait_for(size_t n, std::chrono::milliseconds d = 5000ms) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, d, [&] { return events_.size() >= n; });
  }
  struct Event {
    std::thread::id thread;
    std::string what;
  };
  std::vector<Event> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

// A websocket handler that writes into a Journal.
class JournalWs : public WsHandler {
 public:
  explicit JournalWs(Journal &j) : j_(j) {}
  void on_open(WsConnection &, const WsOpenInfo &) override { j_.add("open"); }
  void on_message(WsConnection &, WsMessage &m) override { j_.add("msg " + std::string(m.data())); }
  void on_close(WsConnection &, const WsCloseInfo &) override { j_.add("close"); }
  void on_error(WsConnection &, const WsErrorInfo &e) override { j_.add("error " + e.status.to_string()); }

 private:
  Journal &j_;
};

// An HTTP stream handler that writes into a Journal; from on_complete it posts a task to its
// slot, which must run after it (post order across HTTP callbacks and tasks).
class JournalHttp : public HttpStreamHandler {
 public:
  JournalHttp(Journal &j, std::shared_ptr<Slot> slot) : j_(j), slot_(std::move(slot)) {}
  void on_response(HttpStream &, const HttpResponseHead &h) override {
    j_.add("http response " + std::to_string(h.status));
  }
  void on_data(HttpStream &, std::string_view) override { j_.add("http data"); }
  void on_complete(HttpStream &, const HttpCompletion &c) override {
    j_.add(c.status.ok() ? "http complete ok" : "http complete " + c.status.to_string());
    Journal &j = j_;
    if (!slot_->post([&j] { j.add("posted after http"); }).ok()) j_.add("post refused");
  }

 private:
  Journal &j_;
  std::shared_ptr<Slot> slot_;
};

// Blocks a slot thread until released (to fill its queue deterministically).
class Latch {
 public:
  void block() {
    std::unique_lock<std::mutex> lock(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
  }
  bool wait_entered() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return entered_; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false, released_ = false;
};

std::unique_ptr<Runtime> runtime_with(MetricsRegistry &m, int slots, size_t task_queue = 8192,
                                      int coalesce_us = defaults::kIoCoalesceUs) {
  RuntimeOptions o;
  o.metrics = &m;
  o.slots = slots;
  o.task_queue_capacity = task_queue;
  o.io_coalesce = std::chrono::microseconds(coalesce_us);
  auto rt = Runtime::create(o);
  REQUIRE_MESSAGE(rt.ok(), rt.status().to_string());
  return std::move(*rt);
}

}  // namespace

TEST_CASE(
    "tasks, timers, a websocket and an HTTP stream sharing one slot all run on the slot thread, in post "
    "order, with wake-ups coalesced or not") {
  // Coalescing changes when the loop polls, never what runs or in which order.
  int coalesce_us = defaults::kIoCoalesceUs;
  SUBCASE("the default coalescing window") {}
  SUBCASE("no coalescing") {
    coalesce_us = 0;
  }
  SUBCASE("the widest window") {
    coalesce_us = defaults::kMaxIoCoalesceUs;
  }
  auto sim = start_sim(
      R"({"sse":{"events":[{"data":"one"},{"data":"two","delay_ms":80},{"data":"[DONE]","delay_ms":80}]}})");
  MetricsRegistry m;
  auto rt = runtime_with(m, 2, 8192, coalesce_us);
  std::shared_ptr<Slot> slot = rt->slot(0);
  REQUIRE(slot.get() != nullptr);
  CHECK(rt->slot(2).get() == nullptr);
  CHECK(!slot->running_in_this_thread());
  Journal j;
  WsConnectOptions o;
  o.url = sim->ws_url("/test/echo");
  auto conn = slot->connect_websocket(o, std::make_shared<JournalWs>(j));
  REQUIRE(conn.ok());
  for (int i = 0; i < 5; ++i) REQUIRE((*conn)->send_text("m" + std::to_string(i)).ok());
  std::atomic<int> off_thread{0};
  for (int i = 0; i < 200; ++i) {
    REQUIRE(slot->post([&, i] {
                  if (!slot->running_in_this_thread()) ++off_thread;
                  j.add("task " + std::to_string(i));
                })
                .ok());
  }
  HttpRequest req;
  req.url = sim->http_url("/test/sse");
  req.body = "{}";
  auto http = slot->start_http(req, std::make_shared<JournalHttp>(j, slot));
  REQUIRE_MESSAGE(http.ok(), http.status().to_string());
  // Timers scheduled out of order fire in due order.
  for (int ms : {60, 20, 40}) {
    REQUIRE(slot->schedule(std::chrono::milliseconds(ms), [&, ms] { j.add("timer " + std::to_string(ms)); })
                .ok());
  }
  // Another slot is another thread.
  std::thread::id other;
  std::atomic<bool> other_done{false};
  REQUIRE(rt->slot(1)
              ->post([&] {
                other = std::this_thread::get_id();
                other_done = true;
              })
              .ok());
  // ws open + 5 echoes, 200 tasks, 3 timers, HTTP: response, >= 1 data, complete, its task.
  const size_t http_min = 4;
  REQUIRE(j.wait_for(1 + 5 + 200 + 3 + http_min));
  auto has = [&](const std::string &what) {
    for (const auto &e : j.events())
      if (e.what == what) return true;
    return false;
  };
  for (int i = 0; i < 500 && !has("posted after http"); ++i) std::this_thread::sleep_for(10ms);
  (*conn)->close();
  for (int i = 0; i < 500 && !has("close"); ++i) std::this_thread::sleep_for(10ms);
  auto ev = j.events();
  CHECK(off_thread == 0);
  std::vector<std::string> tasks, msgs, timers, http_events;
  for (const auto &e : ev) {
    CHECK((e.thread == ev.front().thread));
    if (e.what.rfind("task ", 0) == 0) tasks.push_back(e.what);
    if (e.what.rfind("msg ", 0) == 0) msgs.push_back(e.what);
    if (e.what.rfind("timer ", 0) == 0) timers.push_back(e.what);
    if (e.what.rfind("http ", 0) == 0 || e.what == "posted after http" || e.what == "post refused")
      http_events.push_back(e.what);
  }
  // The HTTP stream's events, in contract order, then the task its on_complete posted.
  REQUIRE(http_events.size() >= 4);
  CHECK(http_events.front() == "http response 200");
  for (size_t i = 1; i + 2 < http_events.size(); ++i) CHECK(http_events[i] == "http data");
  CHECK(http_events[http_events.size() - 2] == "http complete ok");
  CHECK(http_events.back() == "posted after http");
  REQUIRE(tasks.size() == 200);
  for (int i = 0; i < 200; ++i) CHECK(tasks[i] == "task " + std::to_string(i));
  REQUIRE(msgs.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(msgs[i] == "msg m" + std::to_string(i));
  CHECK(timers == std::vector<std::string>{"timer 20", "timer 40", "timer 60"});
  CHECK(ev.back().what == "close");
  for (int i = 0; i < 100 && !other_done; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(other_done);
  CHECK((other != ev.front().thread));
}

TEST_CASE("a timer cancelled from another slot never runs; cancel after it ran returns false") {
  MetricsRegistry m;
  auto rt = runtime_with(m, 2);
  auto s0 = rt->slot(0), s1 = rt->slot(1);
  std::atomic<bool> ran{false};
  auto t = s0->schedule(300ms, [&] { ran = true; });
  REQUIRE(t.ok());
  CHECK(t->pending());
  std::atomic<int> cancel_result{-1};
  REQUIRE(s1->post([&, h = *t]() mutable { cancel_result = h.cancel() ? 1 : 0; }).ok());
  for (int i = 0; i < 200 && cancel_result < 0; ++i) std::this_thread::sleep_for(5ms);
  CHECK(cancel_result == 1);
  CHECK(!t->pending());
  CHECK(!t->cancel());  // idempotent: the second cancel guarantees nothing new
  std::this_thread::sleep_for(450ms);
  CHECK(!ran);

  std::atomic<bool> ran2{false};
  auto t2 = s0->schedule(Duration::zero(), [&] { ran2 = true; });
  REQUIRE(t2.ok());
  for (int i = 0; i < 200 && !ran2; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(ran2);
  cancel_result = -1;
  REQUIRE(s1->post([&, h = *t2]() mutable { cancel_result = h.cancel() ? 1 : 0; }).ok());
  for (int i = 0; i < 200 && cancel_result < 0; ++i) std::this_thread::sleep_for(5ms);
  CHECK(cancel_result == 0);

  // Racing expiry against cancel from the other slot: every timer either ran or was cancelled
  // with true, never both, never neither.
  constexpr int kTimers = 400;
  std::vector<std::atomic<int>> runs(kTimers);
  std::vector<std::atomic<int>> cancelled(kTimers);
  std::vector<TimerHandle> handles;
  for (int i = 0; i < kTimers; ++i) {
    auto h = s0->schedule(std::chrono::microseconds(500 * (i % 5)), [&, i] { ++runs[i]; });
    REQUIRE(h.ok());
    handles.push_back(*h);
  }
  std::atomic<bool> cancel_done{false};
  REQUIRE(s1->post([&] {
              for (int i = 0; i < kTimers; ++i) cancelled[i] = handles[i].cancel() ? 1 : 0;
              cancel_done = true;
            }).ok());
  for (int i = 0; i < 400 && !cancel_done; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(cancel_done);
  std::this_thread::sleep_for(50ms);
  for (int i = 0; i < kTimers; ++i) CHECK_MESSAGE(runs[i] + cancelled[i] == 1, "timer " << i);
}

TEST_CASE("post is bounded with QUEUE_FULL, and close() with the task queue full still closes") {
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = runtime_with(m, 1, 16);
  auto slot = rt->slot(0);
  auto rec = std::make_shared<WsRecorder>();
  WsConnectOptions o;
  o.url = sim->ws_url("/test/echo");
  auto conn = slot->connect_websocket(o, rec);
  REQUIRE(conn.ok());
  REQUIRE(rec->wait_open());
  Latch latch;
  REQUIRE(slot->post([&] { latch.block(); }).ok());
  REQUIRE(latch.wait_entered());
  std::atomic<int> ran{0};
  for (int i = 0; i < 16; ++i) REQUIRE(slot->post([&] { ++ran; }).ok());
  Status full = slot->post([&] { ++ran; });
  CHECK(full.code() == StatusCode::kQueueFull);
  CHECK(slot->schedule(1ms, [] {}).status().code() == StatusCode::kQueueFull);
  CHECK(m.counter("voxline_net_command_queue_rejected_total", "").value() >= 2);
  // The close does not need the task queue: it is never lost and never leaves "closing" forever.
  CHECK((*conn)->close(1000, "queue full").ok());
  CHECK((*conn)->state() == WsState::kClosing);
  latch.release();
  REQUIRE(rec->wait_terminal());
  REQUIRE(rec->close_info().has_value());
  CHECK(rec->close_info()->code == 1000);
  for (int i = 0; i < 100 && ran < 16; ++i) std::this_thread::sleep_for(5ms);
  CHECK(ran == 16);
}

TEST_CASE("pick_slot chooses the least loaded slot, counting pinned sessions and live connections") {
  MetricsRegistry m;
  auto rt = runtime_with(m, 3);
  CHECK(rt->slot_count() == 3);
  CHECK(rt->pick_slot()->index() == 0);  // ties go to the lowest index
  rt->slot(0)->pin();
  rt->slot(1)->pin();
  CHECK(rt->pick_slot()->index() == 2);
  SilentListener silent;
  WsConnectOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(silent.port()) + "/x";
  auto rec = std::make_shared<WsRecorder>();
  auto conn = rt->slot(2)->connect_websocket(o, rec);
  REQUIRE(conn.ok());
  CHECK(rt->slot(2)->load() == 1);
  rt->slot(0)->unpin();
  CHECK(rt->pick_slot()->index() == 0);
  (*conn)->close();
  REQUIRE(rec->wait_terminal());
  CHECK(rt->slot(2)->load() == 0);
  rt->slot(1)->unpin();
}

TEST_CASE("runtime shutdown runs no pending task or timer, and a slot handle outliving it is inert") {
  MetricsRegistry m;
  auto rt = runtime_with(m, 1);
  auto slot = rt->slot(0);
  Latch latch;
  REQUIRE(slot->post([&] { latch.block(); }).ok());
  REQUIRE(latch.wait_entered());
  std::atomic<int> ran{0}, destroyed{0};
  struct Guard {
    std::atomic<int> *destroyed = nullptr;
    ~Guard() {
      if (destroyed != nullptr) ++*destroyed;
    }
  };
  for (int i = 0; i < 3; ++i) {
    auto g = std::make_shared<Guard>();
    g->destroyed = &destroyed;
    REQUIRE(slot->post([&ran, g] { ++ran; }).ok());
  }
  auto timer = slot->schedule(10ms, [&ran] { ++ran; });
  REQUIRE(timer.ok());
  std::thread closer([&] { rt.reset(); });
  std::this_thread::sleep_for(50ms);  // the destructor has closed the slot by now
  latch.release();
  closer.join();
  CHECK(ran == 0);
  CHECK(destroyed == 3);
  CHECK(!timer->pending());
  CHECK(slot->post([] {}).code() == StatusCode::kFailedPrecondition);
  CHECK(slot->schedule(1ms, [] {}).status().code() == StatusCode::kFailedPrecondition);
  WsConnectOptions o;
  o.url = "ws://127.0.0.1:1/x";
  CHECK(slot->connect_websocket(o, std::make_shared<WsRecorder>()).status().code() ==
        StatusCode::kFailedPrecondition);
}

TEST_CASE(
    "each Runtime owns its rate limiters: one name is one limiter within it, another in a second Runtime") {
  MetricsRegistry m;
  auto a = runtime_with(m, 1);
  auto b = runtime_with(m, 1);
  const size_t process_before = RateLimiterRegistry::process().size();
  auto la = a->rate_limiters().get("rt-scoped-llm", {60, 0, 1});
  auto la2 = a->rate_limiters().get("rt-scoped-llm", {});
  auto lb = b->rate_limiters().get("rt-scoped-llm", {60, 0, 1});
  CHECK(la.get() == la2.get());
  CHECK(la.get() != lb.get());
  CHECK(a->rate_limiters().size() == 1);
  CHECK(!RateLimiterRegistry::process().find("rt-scoped-llm"));
  CHECK(RateLimiterRegistry::process().size() == process_before);
  // Separate budgets: a's single-request burst is spent, b's is not.
  Duration wait{};
  CHECK(la->try_acquire(0, &wait).ok());
  CHECK(la->try_acquire(0, &wait).code() == StatusCode::kRateLimited);
  CHECK(lb->try_acquire(0, &wait).ok());
}

TEST_CASE("the Runtime's resolver logs to the Runtime's logger (a stale answer while DNS fails)") {
  std::vector<std::string> lines;
  std::mutex mu;
  Logger logger;
  logger.set_level(LogLevel::kDebug);
  logger.set_sink([&](const LogRecord &r) {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(r.message);
  });
  std::atomic<int> calls{0};
  RuntimeOptions o;
  o.logger = &logger;
  o.dns.ttl = std::chrono::milliseconds(1);
  o.dns.max_stale = std::chrono::seconds(60);
  o.dns_lookup = [&](const std::string &) -> Result<std::vector<std::string>> {
    if (calls++ == 0) return std::vector<std::string>{"127.0.0.1"};
    return unavailable("resolver down");
  };
  {
    auto rt = Runtime::create(o);
    REQUIRE_MESSAGE(rt.ok(), rt.status().to_string());
    auto first = (*rt)->resolver().resolve("stale.example", Deadline::after(std::chrono::seconds(2)));
    REQUIRE(first.ok());
    std::this_thread::sleep_for(10ms);  // past the 1 ms TTL
    auto stale = (*rt)->resolver().resolve("stale.example", Deadline::after(std::chrono::seconds(2)));
    REQUIRE_MESSAGE(stale.ok(), stale.status().to_string());
    CHECK(stale->front() == "127.0.0.1");
  }
  logger.set_sink({});
  bool logged = false;
  for (const auto &l : lines) logged = logged || l.find("serving its last addresses") != std::string::npos;
  CHECK(logged);
}
