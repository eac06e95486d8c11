// RetryDriver (see retry_driver.hpp). The driver's state lives on the slot thread (attempt
// callbacks and timer tasks run there); cancel() reaches it from any thread through a flag and
// the current attempt / posted task, with a short mutex around the two handles it may need.
#include "voxline/net/retry_driver.hpp"

#include <atomic>
#include <optional>

#include "net/net_context.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/thread_annotations.hpp"
#include "voxline/net/slot.hpp"

namespace voxline {

namespace {

std::string ms_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

}  // namespace

RetryPlan::RetryPlan(RetryDriverOptions options, const Clock &clock)
    : options_(std::move(options)), clock_(clock) {}

RetryDecision RetryPlan::after_attempt(const HttpCompletion &completion) {
  RetryDecision d;
  if (completion.status.code() == StatusCode::kCancelled) {
    d.reason = "not retried: cancelled";
    return d;
  }
  const Duration budget = options_.max_total_delay - total_delay_;
  if (budget <= Duration::zero() && !completion.status.ok()) {
    d.reason = "not retried: the retry wait budget of " + ms_text(options_.max_total_delay) + " is used up";
    return d;
  }
  // The policy refuses a delay that would pass this deadline: that is the total-wait cap.
  d = options_.policy.decide(completion.status, attempts_, completion.retry_hints(clock_),
                             Deadline::after(budget, clock_));
  if (d.retry) {
    total_delay_ += d.delay;
    ++attempts_;
  }
  return d;
}

namespace {

class Driver;

// Forwards one attempt's events to the driver.
class AttemptHandler final : public HttpStreamHandler {
 public:
  explicit AttemptHandler(std::shared_ptr<Driver> d) : driver_(std::move(d)) {}
  void on_response(HttpStream &, const HttpResponseHead &head) override;
  void on_data(HttpStream &, std::string_view chunk) override;
  void on_complete(HttpStream &, const HttpCompletion &c) override;

 private:
  std::shared_ptr<Driver> driver_;
};

class Driver final : public HttpStream, public std::enable_shared_from_this<Driver> {
 public:
  Driver(std::shared_ptr<Slot> slot, HttpRequest request, std::shared_ptr<HttpStreamHandler> handler,
         RetryDriverOptions options)
      : slot_(std::move(slot)),
        request_(std::move(request)),
        handler_(std::move(handler)),
        logger_(options.logger != nullptr ? *options.logger : default_logger()),
        plan_(std::move(options)),
        id_(detail::next_stream_id()) {}

  // Any thread.
  void cancel() override {
    if (done() || cancel_requested_.exchange(true)) return;
    std::shared_ptr<HttpStream> attempt;
    {
      MutexLock lock(mu_);
      attempt = attempt_;
    }
    if (attempt) {
      attempt->cancel();  // its on_complete(CANCELLED) ends the driver
      return;
    }
    // Waiting between attempts (or about to start one, which sees the flag): end on the slot
    // thread. If the post is refused the pending timer task still sees the flag when it runs.
    (void)slot_->post([d = shared_from_this()] { d->finish_cancelled(); });
  }
  bool done() const override { return done_.load(std::memory_order_acquire); }
  uint64_t id() const override { return id_; }

  Status start_attempt() {
    auto s = slot_->start_http(request_, std::make_shared<AttemptHandler>(shared_from_this()));
    if (!s.ok()) return s.status();
    made_.fetch_add(1, std::memory_order_relaxed);
    bool cancel_now = false;
    {
      MutexLock lock(mu_);
      attempt_ = *s;
      cancel_now = cancel_requested_.load();
    }
    if (cancel_now) (*s)->cancel();  // cancel() ran before the attempt was visible to it
    return Status::Ok();
  }

  // ---- slot thread (attempt events, tasks)
  void on_response(const HttpResponseHead &head) { head_ = head; }
  void on_data(std::string_view chunk) {
    forward_head();
    if (handler_) handler_->on_data(*this, chunk);
  }
  void on_attempt_complete(const HttpCompletion &c) {
    {
      MutexLock lock(mu_);
      attempt_.reset();
    }
    if (cancel_requested_.load() && c.status.ok() == false) {
      finish(c);
      return;
    }
    const RetryDecision d = plan_.after_attempt(c);
    if (!d.retry || cancel_requested_.load()) {
      finish(c);
      return;
    }
    head_.reset();
    last_ = c;
    VOXLINE_LOG_DEBUG(logger_, "net", "HTTP request {} attempt {} failed ({}); {}", id_, plan_.attempts() - 1,
                      c.status.to_string(), d.reason);
    auto t =
        slot_->schedule(d.delay, [g = Guard(shared_from_this())]() mutable { g.run(&Driver::next_attempt); });
    if (!t.ok()) return;  // the slot is stopping: the dropped task ended the driver CANCELLED
    {
      MutexLock lock(mu_);
      timer_ = *t;
    }
  }

 private:
  // The retry timer's task. If it is destroyed without running (the slot drops pending timers
  // at shutdown, on its own thread; schedule() refused it) the driver ends CANCELLED.
  class Guard {
   public:
    explicit Guard(std::shared_ptr<Driver> d) : d_(std::move(d)) {}
    Guard(Guard &&) noexcept = default;
    Guard &operator=(Guard &&) noexcept = default;
    ~Guard() {
      if (d_ && !d_->finished_.load()) d_->finish_cancelled();
    }
    void run(void (Driver::*fn)()) {
      std::shared_ptr<Driver> d = std::move(d_);
      ((*d).*fn)();
    }

   private:
    std::shared_ptr<Driver> d_;
  };

  void next_attempt() {
    {
      MutexLock lock(mu_);
      timer_ = TimerHandle();
    }
    if (cancel_requested_.load()) {
      finish_cancelled();
      return;
    }
    Status st = start_attempt();
    if (!st.ok()) {
      HttpCompletion c = last_;
      c.status = st;
      c.phase = "retry";
      finish(c);
    }
  }

  void finish_cancelled() {
    HttpCompletion c = last_;
    c.status = cancelled("HTTP request cancelled before its retry (cancel or runtime shutdown)");
    c.phase = "cancel";
    finish(c);
  }

  void forward_head() {
    if (head_forwarded_ || !head_) return;
    head_forwarded_ = true;
    if (handler_) handler_->on_response(*this, *head_);
  }

  void finish(const HttpCompletion &c) {
    if (finished_.exchange(true)) return;
    TimerHandle timer;
    {
      MutexLock lock(mu_);
      timer = timer_;
      timer_ = TimerHandle();
    }
    timer.cancel();  // after finished_: a dropped timer task no longer ends anything
    if (c.http_status > 0) forward_head();
    std::shared_ptr<HttpStreamHandler> h = std::move(handler_);
    HttpCompletion out = c;
    out.attempts = made_.load(std::memory_order_relaxed);  // a retry cancelled while waiting is not made
    if (h) h->on_complete(*this, out);
    done_.store(true, std::memory_order_release);
  }

  const std::shared_ptr<Slot> slot_;
  const HttpRequest request_;
  std::shared_ptr<HttpStreamHandler> handler_;  // slot thread; dropped after on_complete
  Logger &logger_;
  RetryPlan plan_;                        // slot thread
  std::optional<HttpResponseHead> head_;  // slot thread: of the running attempt
  bool head_forwarded_ = false;           // slot thread
  HttpCompletion last_;                   // slot thread: the latest failed attempt
  const uint64_t id_;
  std::atomic<int> made_{0};  // attempts actually started
  std::atomic<bool> cancel_requested_{false};
  std::atomic<bool> finished_{false};
  std::atomic<bool> done_{false};
  Mutex mu_;
  std::shared_ptr<HttpStream> attempt_ VOXLINE_GUARDED_BY(mu_);
  TimerHandle timer_ VOXLINE_GUARDED_BY(mu_);
};

void AttemptHandler::on_response(HttpStream &, const HttpResponseHead &head) {
  driver_->on_response(head);
}
void AttemptHandler::on_data(HttpStream &, std::string_view chunk) {
  driver_->on_data(chunk);
}
void AttemptHandler::on_complete(HttpStream &, const HttpCompletion &c) {
  std::shared_ptr<Driver> d = std::move(driver_);
  d->on_attempt_complete(c);
}

}  // namespace

Result<std::shared_ptr<HttpStream>> RetryDriver::start(std::shared_ptr<Slot> slot, HttpRequest request,
                                                       std::shared_ptr<HttpStreamHandler> handler,
                                                       RetryDriverOptions options) {
  if (!slot) return invalid_argument("RetryDriver needs a slot");
  if (!handler) return invalid_argument("HTTP stream handler must not be null");
  auto d =
      std::make_shared<Driver>(std::move(slot), std::move(request), std::move(handler), std::move(options));
  VOXLINE_RETURN_IF_ERROR(d->start_attempt());
  return std::shared_ptr<HttpStream>(std::move(d));
}

}  // namespace voxline
