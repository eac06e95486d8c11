// File: worker_pool.hpp
// WorkerPool: a fixed set of threads and a bounded job queue for blocking work (SQLite,
// PostgreSQL, Redis, host tools), so that no loop thread ever blocks. Each job names the Executor
// (usually the session's Slot) its completion is posted to: the completion runs there, never on a
// worker, so a session's state is only touched on its own thread.
//
//   VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<WorkerPool> pool, WorkerPool::create(options));
//   Result<JobHandle> job = pool->submit(
//       slot, Deadline::after(std::chrono::seconds(2)),
//       [db, id](const CancelToken &token) -> Result<Customer> {   // on a worker
//         return db->find_customer(id, token.deadline());
//       },
//       [session](Result<Customer> c) { session->on_customer(std::move(c)); });  // on `slot`
//   if (!job.ok()) ...          // QUEUE_FULL at once when the queue is full; nothing runs
//   job->cancel();              // from any thread (barge-in, hang-up)
//
// Exactly one completion per accepted job, posted to the job's executor:
// - the work ran: the Status / Result<T> the work returned (an exception becomes INTERNAL);
// - the deadline passed before a worker took the job: TIMEOUT, and the work never runs. The pool's
//   timer thread expires queued jobs at their deadline even while every worker is busy;
// - cancel() before a worker took the job: CANCELLED, and the work never runs;
// - the pool shut down before a worker took the job: CANCELLED, and the work never runs.
// A cancel racing the start or the end of a job never produces a second completion.
// Running jobs: the pool never interrupts work. The work gets a CancelToken that reports
// cancel() and shutdown, and carries the job's deadline: poll it, or pass token.deadline() on to
// the blocking call (a query timeout, a Redis deadline).
// Refused completion posts: when the executor answers QUEUE_FULL the timer thread retries the post
// with backoff (1 ms doubling to 50 ms) for up to `completion_retry_window` after the first
// refusal; workers never wait for a busy executor. When the window passes, or at once when the
// executor is shut down (FAILED_PRECONDITION), the completion is dropped: destroyed without
// running on the thread that gave up, counted in voxline_worker_completions_dropped_total
// {pool, reason="queue_full"|"closed"}, and logged (the 1st, 2nd, 4th, 8th... drop of the pool).
// Destruction: the work function is destroyed on its worker right after it ran; the completion
// (and the work of a job that never ran) on the executor's thread right after the completion ran.
// Metrics (resolved once per pool, labelled {pool=<name>}): voxline_worker_queue_depth (gauge),
// voxline_worker_wait_ms and voxline_worker_run_ms (histograms), and the counters
// voxline_worker_jobs_total, _rejected_total (QUEUE_FULL), _timeouts_total, _cancelled_total (both
// before start), _completion_retries_total and _completions_dropped_total.
// Threads: `threads` workers plus one timer thread, started by create().
// Lifetime: shutdown() (also run by the destructor) refuses new jobs, completes queued ones with
// CANCELLED, cancels the tokens of running ones, waits for them to return and for their
// completions to be posted (refused posts are retried within the window), then joins every thread.
// It blocks for as long as the longest running job: do not call it from a job. Completions may run
// after the pool is gone; a JobHandle may outlive the pool (cancel() then returns false).
// Thread-safety: every method of WorkerPool, JobHandle and CancelToken may be called from any
// thread; submit() and cancel() never block (they are meant for loop threads).
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "voxline/core/clock.hpp"
#include "voxline/core/deadline.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/executor.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"
#include "voxline/core/thread_annotations.hpp"

namespace voxline {

class Logger;
class MetricsRegistry;

struct WorkerPoolOptions {
  std::string name = "default";            // the {pool=...} label on every metric, and in log lines
  int threads = defaults::kWorkerThreads;  // worker threads, 1..256
  size_t queue_capacity = defaults::kWorkerQueueCapacity;  // waiting jobs; one more is QUEUE_FULL
  // How long refused completion posts (executor QUEUE_FULL) are retried before being dropped.
  Duration completion_retry_window = defaults::kWorkerCompletionRetryWindow;
  MetricsRegistry *metrics = nullptr;  // nullptr = MetricsRegistry::global()
  Logger *logger = nullptr;            // nullptr = default_logger()
};

// What a running job sees: whether it should stop, and its deadline. Copyable; copies share the
// job's cancellation flag and may outlive the job.
class VOXLINE_API CancelToken {
 public:
  // A token that is never cancelled and has no deadline (for calling job code directly).
  CancelToken() : deadline_(Deadline::infinite()) {}
  CancelToken(std::shared_ptr<const std::atomic<bool>> flag, Deadline deadline) noexcept
      : flag_(std::move(flag)), deadline_(deadline) {}

  // True once the job was cancelled or the pool began shutting down.
  bool cancelled() const noexcept { return flag_ != nullptr && flag_->load(std::memory_order_acquire); }
  // True once the job's deadline has passed.
  bool expired() const noexcept { return deadline_.expired(); }
  bool stop_requested() const noexcept { return cancelled() || expired(); }
  // OK while the job may continue; otherwise CANCELLED or TIMEOUT, ready to return.
  Status check() const;
  const Deadline &deadline() const noexcept { return deadline_; }

 private:
  std::shared_ptr<const std::atomic<bool>> flag_;
  Deadline deadline_;
};

enum class JobPhase { kQueued, kRunning, kFinished };

// The handle of a submitted job. Copies refer to the same job; dropping it does not cancel.
class VOXLINE_API JobHandle {
 public:
  JobHandle() = default;  // an empty handle: cancel() does nothing

  // Any thread, never blocks. A job not yet started is taken off the queue, never runs, and
  // completes with CANCELLED: returns true. A running job's CancelToken reports cancelled and the
  // work decides what to do: returns false, as it does for a finished job. Idempotent.
  bool cancel();
  // kFinished once the job's outcome is decided (its completion may still be on its way).
  JobPhase phase() const noexcept;

 private:
  friend class WorkerPool;
  struct State;  // one submitted job (worker_pool.cpp)
  struct Pool;   // the pool's queue, threads and metrics (worker_pool.cpp)
  JobHandle(std::shared_ptr<State> state, std::weak_ptr<Pool> core) noexcept
      : state_(std::move(state)), core_(std::move(core)) {}
  std::shared_ptr<State> state_;
  std::weak_ptr<Pool> core_;  // expires with the pool
};

class VOXLINE_API WorkerPool {
 public:
  // INVALID_ARGUMENT for threads outside 1..256 or a zero queue capacity; INTERNAL when a thread
  // cannot be started.
  static Result<std::unique_ptr<WorkerPool>> create(WorkerPoolOptions options = {});
  ~WorkerPool();
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  // Queues `work` (`Status(const CancelToken&)` or `Result<T>(const CancelToken&)`) to run on a
  // worker before `deadline`; `done` (`void(Status)` / `void(Result<T>)`) then runs on
  // `executor`. Never blocks. INVALID_ARGUMENT for a null executor, QUEUE_FULL when
  // queue_capacity jobs are waiting, FAILED_PRECONDITION after shutdown(); on error neither
  // function runs (both are destroyed before submit returns).
  template <typename Work, typename Done>
  Result<JobHandle> submit(std::shared_ptr<Executor> executor, const Deadline &deadline, Work work,
                           Done done) {
    using Outcome = std::invoke_result_t<std::decay_t<Work> &, const CancelToken &>;
    static_assert(IsJobOutcome<Outcome>::value, "a job returns Status or Result<T>");
    static_assert(std::is_invocable_v<std::decay_t<Done> &, Outcome>,
                  "the completion takes what the work returns");
    return submit_body(std::move(executor), deadline,
                       std::make_unique<TypedJobBody<std::decay_t<Work>, std::decay_t<Done>>>(
                           std::move(work), std::move(done)));
  }

  // See "Lifetime" above. Idempotent; later calls return at once.
  void shutdown();

  const WorkerPoolOptions &options() const noexcept { return options_; }
  // Jobs waiting for a worker (not counting running ones).
  size_t queued() const;
  // Jobs a worker is running right now.
  size_t running() const;

 private:
  friend class JobHandle;
  using Core = JobHandle::Pool;
  using JobState = JobHandle::State;

  // A type-erased job: the work and its completion. submit() builds a TypedJobBody.
  class JobBody {
   public:
    virtual ~JobBody() = default;
    // On a worker: runs the work, keeps its outcome and destroys the work.
    virtual void run(const CancelToken &token) = 0;
    // Instead of run(): keeps `status` (TIMEOUT, CANCELLED) as the outcome.
    virtual void fail(Status status) = 0;
    // On the executor: hands the outcome to the completion, then destroys both. Called once.
    virtual void complete() = 0;
  };

  WorkerPool(WorkerPoolOptions options, std::shared_ptr<Core> core);
  Result<JobHandle> submit_body(std::shared_ptr<Executor> executor, const Deadline &deadline,
                                std::unique_ptr<JobBody> body);

  template <typename R>
  struct IsJobOutcome : std::is_same<R, Status> {};
  template <typename T>
  struct IsJobOutcome<Result<T>> : std::true_type {};

  static Status job_exception_status(std::exception_ptr error);

  template <typename Work, typename Done>
  class TypedJobBody final : public JobBody {
   public:
    using Outcome = std::invoke_result_t<Work &, const CancelToken &>;
    TypedJobBody(Work work, Done done) : work_(std::move(work)), done_(std::move(done)) {}

    void run(const CancelToken &token) override {
      try {
        outcome_.emplace((*work_)(token));
      } catch (...) {
        outcome_.emplace(job_exception_status(std::current_exception()));
      }
      work_.reset();
    }
    void fail(Status status) override { outcome_.emplace(std::move(status)); }
    void complete() override {
      work_.reset();  // still here when the job never ran
      if (done_ && outcome_) (*done_)(std::move(*outcome_));
      // The captures die here, on the executor's thread, not wherever the job state dies.
      done_.reset();
      outcome_.reset();
    }

   private:
    std::optional<Work> work_;
    std::optional<Done> done_;
    std::optional<Outcome> outcome_;
  };

  WorkerPoolOptions options_;
  std::shared_ptr<Core> core_;
  Mutex shutdown_mu_;
  bool shut_down_ VOXLINE_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace voxline
