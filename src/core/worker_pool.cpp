#include "voxline/core/worker_pool.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <system_error>
#include <thread>
#include <vector>

#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"

namespace voxline {

namespace {
constexpr int kMaxThreads = 256;
constexpr Duration kFirstRetryDelay = std::chrono::milliseconds(1);
constexpr Duration kMaxRetryDelay = std::chrono::milliseconds(50);
// Deadlines on another clock than the system's (a test's ManualClock) cannot be waited for
// exactly, so the timer thread looks at them this often while such a job is queued.
constexpr Duration kForeignClockPoll = std::chrono::milliseconds(20);

SteadyTime steady_now() {
  return Clock::system().now();
}
double ms_between(SteadyTime a, SteadyTime b) {
  return elapsed_ms(a, b);
}
}  // namespace

Status CancelToken::check() const {
  if (cancelled()) return voxline::cancelled("job cancelled");
  if (expired()) return timeout_error("job deadline passed");
  return Status::Ok();
}

Status WorkerPool::job_exception_status(std::exception_ptr error) {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const std::exception &e) {
    return internal_error(std::string("job threw: ") + e.what());
  } catch (...) {
    return internal_error("job threw a non-standard exception");
  }
}

struct JobHandle::State {
  using JobBody = WorkerPool::JobBody;
  State(std::shared_ptr<Executor> ex, Deadline d, std::unique_ptr<JobBody> b, SteadyTime t)
      : executor(std::move(ex)), deadline(d), body(std::move(b)), submitted(t) {}

  const std::shared_ptr<Executor> executor;
  const Deadline deadline;
  std::unique_ptr<JobBody> body;  // owned by whoever moved `phase` last (see Core)
  const SteadyTime submitted;
  // kQueued -> kRunning -> kFinished, or kQueued -> kFinished; changes under Core::mu.
  std::atomic<JobPhase> phase{JobPhase::kQueued};
  std::atomic<bool> cancel_requested{false};
  // Set by the first of "the completion runs" and "the completion is dropped".
  std::atomic<bool> settled{false};
};

struct JobHandle::Pool : std::enable_shared_from_this<Pool> {
  using JobState = JobHandle::State;
  using Core = JobHandle::Pool;
  struct Retry {
    std::shared_ptr<JobState> job;
    SteadyTime give_up;
    SteadyTime next;
    Duration delay;
  };

  Pool(const WorkerPoolOptions &o, MetricsRegistry &m, Logger &l)
      : options(o),
        log(l),
        depth(m.gauge("voxline_worker_queue_depth", "Jobs waiting for a worker", labels())),
        wait_ms(m.histogram("voxline_worker_wait_ms", "Time a job waited for a worker", {}, labels())),
        run_ms(m.histogram("voxline_worker_run_ms", "Time a job ran on a worker", {}, labels())),
        jobs(m.counter("voxline_worker_jobs_total", "Jobs that ran on a worker", labels())),
        rejected(m.counter("voxline_worker_rejected_total", "Jobs refused: queue full", labels())),
        timeouts(m.counter("voxline_worker_timeouts_total", "Jobs whose deadline passed before they started",
                           labels())),
        cancels(m.counter("voxline_worker_cancelled_total", "Jobs cancelled before they started", labels())),
        retries(m.counter("voxline_worker_completion_retries_total",
                          "Completion posts retried after the executor refused them", labels())),
        dropped_full(m.counter("voxline_worker_completions_dropped_total",
                               "Completions dropped because their executor refused them",
                               labels("queue_full"))),
        dropped_closed(m.counter("voxline_worker_completions_dropped_total",
                                 "Completions dropped because their executor refused them",
                                 labels("closed"))) {}

  MetricLabels labels(const char *reason = nullptr) const {
    MetricLabels l{{"pool", options.name}};
    if (reason != nullptr) l.emplace_back("reason", reason);
    return l;
  }

  // Posts the completion of a finished job. Never blocks; refusals go to the retry list.
  void deliver(const std::shared_ptr<JobState> &job) VOXLINE_EXCLUDES(mu) {
    Status s = post_completion(job);
    if (s.ok()) return;
    if (s.code() == StatusCode::kQueueFull && queue_retry(job)) return;
    drop(job, s);
  }

  // Hands a refused completion to the timer thread; false when it has already exited.
  bool queue_retry(const std::shared_ptr<JobState> &job) VOXLINE_EXCLUDES(mu) {
    const SteadyTime now = steady_now();
    {
      MutexLock lock(mu);
      if (timer_exited) return false;
      retry_list.push_back(
          Retry{job, now + options.completion_retry_window, now + kFirstRetryDelay, kFirstRetryDelay});
    }
    timer_cv.notify_one();
    return true;
  }

  Status post_completion(const std::shared_ptr<JobState> &job) {
    return job->executor->post([job] {
      if (!job->settled.exchange(true)) job->body->complete();
    });
  }

  void drop(const std::shared_ptr<JobState> &job, const Status &why) {
    if (job->settled.exchange(true)) return;
    (why.code() == StatusCode::kQueueFull ? dropped_full : dropped_closed).inc();
    const uint64_t n = drops.fetch_add(1, std::memory_order_relaxed) + 1;
    if ((n & (n - 1)) == 0)  // 1st, 2nd, 4th, 8th... so a stuck executor cannot flood the log
      VOXLINE_LOG_ERROR(log, "core", "worker pool '{}' dropped a job completion ({} so far): {}",
                        options.name, n, why.to_string());
    // Destroy the captures now, not whenever the last JobHandle goes away.
    job->body.reset();
  }

  // Ends a job that never started with `status`, and posts its completion.
  void finish_unstarted(const std::shared_ptr<JobState> &job, Status status) VOXLINE_EXCLUDES(mu) {
    (status.code() == StatusCode::kTimeout ? timeouts : cancels).inc();
    job->body->fail(std::move(status));
    deliver(job);
  }

  bool cancel(const std::shared_ptr<JobState> &job) VOXLINE_EXCLUDES(mu) {
    {
      MutexLock lock(mu);
      job->cancel_requested.store(true, std::memory_order_release);
      if (job->phase.load() != JobPhase::kQueued) return false;
      queue.erase(std::find(queue.begin(), queue.end(), job));
      job->phase.store(JobPhase::kFinished);
      depth.set(static_cast<int64_t>(queue.size()));
    }
    finish_unstarted(job, voxline::cancelled("job cancelled before it started"));
    return true;
  }

  void worker_loop(size_t index) VOXLINE_EXCLUDES(mu) {
    for (;;) {
      std::shared_ptr<JobState> job;
      {
        MutexLock lock(mu);
        while (!stopping && queue.empty()) work_cv.wait(mu);
        if (queue.empty()) return;  // stopping: shutdown() took the queue
        job = std::move(queue.front());
        queue.pop_front();
        depth.set(static_cast<int64_t>(queue.size()));
        job->phase.store(job->deadline.expired() ? JobPhase::kFinished : JobPhase::kRunning);
        if (job->phase.load() == JobPhase::kRunning) running_jobs[index] = job;
      }
      if (job->phase.load() == JobPhase::kFinished) {
        finish_unstarted(job, timeout_error("job waited in the queue past its deadline"));
        continue;
      }
      const SteadyTime start = steady_now();
      wait_ms.observe(ms_between(job->submitted, start));
      // Aliasing pointer: the token keeps the job alive and sees only its flag.
      const CancelToken token(std::shared_ptr<const std::atomic<bool>>(job, &job->cancel_requested),
                              job->deadline);
      job->body->run(token);
      run_ms.observe(ms_between(start, steady_now()));
      jobs.inc();
      {
        MutexLock lock(mu);
        running_jobs[index].reset();
        job->phase.store(JobPhase::kFinished);
      }
      deliver(job);
    }
  }

  void timer_loop() VOXLINE_EXCLUDES(mu) {
    std::vector<std::shared_ptr<JobState>> expired;
    std::vector<Retry> due;
    for (;;) {
      {
        MutexLock lock(mu);
        const SteadyTime now = steady_now();
        for (auto it = queue.begin(); it != queue.end();) {
          if ((*it)->deadline.expired()) {
            (*it)->phase.store(JobPhase::kFinished);
            expired.push_back(std::move(*it));
            it = queue.erase(it);
          } else {
            ++it;
          }
        }
        if (!expired.empty()) depth.set(static_cast<int64_t>(queue.size()));
        for (auto it = retry_list.begin(); it != retry_list.end();) {
          if (it->next <= now) {
            due.push_back(std::move(*it));
            it = retry_list.erase(it);
          } else {
            ++it;
          }
        }
        if (expired.empty() && due.empty()) {
          if (workers_done && retry_list.empty()) {
            timer_exited = true;
            return;
          }
          // Sleep until the next retry or queued deadline; with neither, until notified.
          SteadyTime wake = SteadyTime::max();
          for (const Retry &r : retry_list) wake = std::min(wake, r.next);
          for (const auto &job : queue) {
            if (job->deadline.is_infinite()) continue;
            wake = std::min(wake, &job->deadline.clock() == &Clock::system() ? job->deadline.when()
                                                                             : now + kForeignClockPoll);
          }
          timer_wake = wake;
          if (wake == SteadyTime::max())
            timer_cv.wait(mu);
          else
            timer_cv.wait_for(mu, wake - now);
          timer_wake = SteadyTime::min();  // awake: submit() need not notify
          continue;
        }
      }
      for (auto &job : expired)
        finish_unstarted(job, timeout_error("job deadline passed before a worker was free"));
      expired.clear();
      for (auto &r : due) retry(std::move(r));
      due.clear();
    }
  }

  void retry(Retry r) VOXLINE_EXCLUDES(mu) {
    retries.inc();
    Status s = post_completion(r.job);
    if (s.ok()) return;
    const SteadyTime now = steady_now();
    if (s.code() != StatusCode::kQueueFull || now >= r.give_up) {
      drop(r.job, s);
      return;
    }
    r.delay = std::min(r.delay * 2, kMaxRetryDelay);
    r.next = std::min(now + r.delay, r.give_up);
    MutexLock lock(mu);
    retry_list.push_back(std::move(r));  // the timer thread is the caller: it has not exited
  }

  const WorkerPoolOptions options;
  Logger &log;
  Gauge &depth;
  Histogram &wait_ms;
  Histogram &run_ms;
  Counter &jobs;
  Counter &rejected;
  Counter &timeouts;
  Counter &cancels;
  Counter &retries;
  Counter &dropped_full;
  Counter &dropped_closed;
  std::atomic<uint64_t> drops{0};

  Mutex mu;
  std::condition_variable_any work_cv;
  std::condition_variable_any timer_cv;
  std::deque<std::shared_ptr<JobState>> queue VOXLINE_GUARDED_BY(mu);
  std::vector<std::shared_ptr<JobState>> running_jobs VOXLINE_GUARDED_BY(mu);  // one per worker
  std::vector<Retry> retry_list VOXLINE_GUARDED_BY(mu);
  // When the timer thread will next wake by itself; min() while awake, max() when idle.
  SteadyTime timer_wake VOXLINE_GUARDED_BY(mu) = SteadyTime::min();
  bool stopping VOXLINE_GUARDED_BY(mu) = false;
  bool workers_done VOXLINE_GUARDED_BY(mu) = false;
  bool timer_exited VOXLINE_GUARDED_BY(mu) = false;  // refused posts are dropped from then on

  std::vector<std::thread> workers;  // started by create(), joined by shutdown()
  std::thread timer;
};

bool JobHandle::cancel() {
  if (state_ == nullptr) return false;
  std::shared_ptr<Pool> core = core_.lock();
  if (core == nullptr) {
    // The pool is gone, so the job has finished; a token copy still sees the request.
    state_->cancel_requested.store(true, std::memory_order_release);
    return false;
  }
  return core->cancel(state_);
}

JobPhase JobHandle::phase() const noexcept {
  return state_ == nullptr ? JobPhase::kFinished : state_->phase.load();
}

Result<std::unique_ptr<WorkerPool>> WorkerPool::create(WorkerPoolOptions options) {
  if (options.threads < 1 || options.threads > kMaxThreads)
    return invalid_argument("worker pool threads must be 1.." + std::to_string(kMaxThreads) + ", got " +
                            std::to_string(options.threads));
  if (options.queue_capacity == 0) return invalid_argument("worker pool queue capacity must be at least 1");
  if (options.completion_retry_window < Duration::zero())
    return invalid_argument("completion_retry_window must not be negative");
  MetricsRegistry &metrics = options.metrics != nullptr ? *options.metrics : MetricsRegistry::global();
  Logger &log = options.logger != nullptr ? *options.logger : default_logger();
  auto core = std::make_shared<Core>(options, metrics, log);
  {
    MutexLock lock(core->mu);
    core->running_jobs.resize(static_cast<size_t>(options.threads));
  }
  std::unique_ptr<WorkerPool> pool(new WorkerPool(std::move(options), core));
  try {
    core->timer = std::thread([core] { core->timer_loop(); });
    for (int i = 0; i < pool->options_.threads; ++i)
      core->workers.emplace_back([core, i] { core->worker_loop(static_cast<size_t>(i)); });
  } catch (const std::system_error &e) {
    pool->shutdown();  // joins what did start
    return internal_error(std::string("cannot start worker pool thread: ") + e.what());
  }
  return pool;
}

WorkerPool::WorkerPool(WorkerPoolOptions options, std::shared_ptr<Core> core)
    : options_(std::move(options)), core_(std::move(core)) {}

WorkerPool::~WorkerPool() {
  shutdown();
}

Result<JobHandle> WorkerPool::submit_body(std::shared_ptr<Executor> executor, const Deadline &deadline,
                                          std::unique_ptr<JobBody> body) {
  if (executor == nullptr) return invalid_argument("a job needs an executor for its completion");
  auto job = std::make_shared<JobState>(std::move(executor), deadline, std::move(body), steady_now());
  bool wake_timer = false;
  {
    MutexLock lock(core_->mu);
    if (core_->stopping) return failed_precondition("worker pool '" + options_.name + "' is shut down");
    if (core_->queue.size() >= options_.queue_capacity) {
      core_->rejected.inc();
      return queue_full("worker pool '" + options_.name + "' queue is full (" +
                        std::to_string(options_.queue_capacity) + " jobs waiting)");
    }
    core_->queue.push_back(job);
    core_->depth.set(static_cast<int64_t>(core_->queue.size()));
    // The timer thread must wake for this deadline if it would sleep past it.
    if (!deadline.is_infinite() && core_->timer_wake != SteadyTime::min())
      wake_timer = &deadline.clock() != &Clock::system() || deadline.when() < core_->timer_wake;
  }
  core_->work_cv.notify_one();
  if (wake_timer) core_->timer_cv.notify_one();
  return JobHandle(std::move(job), core_);
}

void WorkerPool::shutdown() {
  MutexLock once(shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  std::deque<std::shared_ptr<JobState>> pending;
  {
    MutexLock lock(core_->mu);
    core_->stopping = true;
    pending.swap(core_->queue);
    for (auto &job : pending) job->phase.store(JobPhase::kFinished);
    for (auto &job : core_->running_jobs)
      if (job != nullptr) job->cancel_requested.store(true, std::memory_order_release);
    core_->depth.set(0);
  }
  core_->work_cv.notify_all();
  for (auto &job : pending) {
    job->cancel_requested.store(true, std::memory_order_release);
    core_->finish_unstarted(job, cancelled("worker pool '" + options_.name + "' shut down"));
  }
  const std::thread::id self = std::this_thread::get_id();
  for (auto &t : core_->workers) {
    if (!t.joinable()) continue;
    // A job that shuts its own pool down cannot wait for itself; its thread ends on its own.
    if (t.get_id() == self)
      t.detach();
    else
      t.join();
  }
  {
    MutexLock lock(core_->mu);
    core_->workers_done = true;
  }
  core_->timer_cv.notify_all();
  if (core_->timer.joinable()) core_->timer.join();
}

size_t WorkerPool::queued() const {
  MutexLock lock(core_->mu);
  return core_->queue.size();
}

size_t WorkerPool::running() const {
  MutexLock lock(core_->mu);
  return static_cast<size_t>(std::count_if(core_->running_jobs.begin(), core_->running_jobs.end(),
                                           [](const auto &j) { return j != nullptr; }));
}

}  // namespace voxline
