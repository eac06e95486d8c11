#include "voxline/core/worker_pool.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <ostream>  // doctest prints std::thread::id
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/latch.hpp"
#include "support/thread_executor.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"

using namespace voxline;
using std::chrono::milliseconds;
using std::chrono::seconds;
using voxline::testing::Latch;
using voxline::testing::ThreadExecutor;

namespace {

std::unique_ptr<WorkerPool> make_pool(MetricsRegistry &m, int threads = 1, size_t capacity = 16,
                                      Duration retry_window = seconds(2), Logger *log = nullptr) {
  WorkerPoolOptions o;
  o.name = "test";
  o.threads = threads;
  o.queue_capacity = capacity;
  o.completion_retry_window = retry_window;
  o.metrics = &m;
  o.logger = log;
  auto pool = WorkerPool::create(o);
  REQUIRE(pool.ok());
  return std::move(pool).value();
}

uint64_t counter(MetricsRegistry &m, const char *name, MetricLabels labels = {{"pool", "test"}}) {
  return m.counter(name, "", labels).value();
}

// Occupies one worker until release() is called.
struct BusyWorker {
  Latch started;
  Latch released;
  Result<JobHandle> handle = internal_error("not submitted");

  void occupy(WorkerPool &pool, const std::shared_ptr<Executor> &ex) {
    handle = pool.submit(
        ex, Deadline::infinite(),
        [this](const CancelToken &) {
          started.count_down();
          released.wait();
          return Status::Ok();
        },
        [](Status) {});
    REQUIRE(handle.ok());
    REQUIRE(started.wait());
  }
  void release() { released.count_down(); }
};

// Counts down `latch` when destroyed: shows when (and where) captures die.
struct DeathWatch {
  explicit DeathWatch(Latch *l, std::atomic<std::thread::id> *where = nullptr) : latch(l), thread(where) {}
  DeathWatch(DeathWatch &&o) noexcept : latch(o.latch), thread(o.thread) { o.latch = nullptr; }
  DeathWatch(const DeathWatch &) = delete;
  ~DeathWatch() {
    if (latch == nullptr) return;
    if (thread != nullptr) thread->store(std::this_thread::get_id());
    latch->count_down();
  }
  Latch *latch;
  std::atomic<std::thread::id> *thread;
};

}  // namespace

TEST_CASE("a job runs on a worker and its completion runs on the executor it names, with the work's result") {
  MetricsRegistry m;
  auto ex = std::make_shared<ThreadExecutor>();
  auto pool = make_pool(m, 2);
  std::atomic<std::thread::id> work_thread{}, done_thread{};
  Latch done;
  Result<int> got = internal_error("unset");
  auto job = pool->submit(
      ex, Deadline::after(seconds(5)),
      [&](const CancelToken &token) -> Result<int> {
        work_thread = std::this_thread::get_id();
        CHECK(!token.stop_requested());
        return 42;
      },
      [&](Result<int> r) {
        done_thread = std::this_thread::get_id();
        got = std::move(r);
        done.count_down();
      });
  REQUIRE(job.ok());
  REQUIRE(done.wait());
  REQUIRE(got.ok());
  CHECK(*got == 42);
  CHECK(done_thread.load() == ex->thread_id());
  CHECK(work_thread.load() != ex->thread_id());
  CHECK(work_thread.load() != std::this_thread::get_id());
  CHECK(job->phase() == JobPhase::kFinished);
  CHECK(counter(m, "voxline_worker_jobs_total") == 1);
}

TEST_CASE("a job's error Status reaches its completion, and a job that throws completes with INTERNAL") {
  MetricsRegistry m;
  auto ex = std::make_shared<ThreadExecutor>();
  auto pool = make_pool(m);
  Latch done(2);
  Status first, second;
  REQUIRE(pool->submit(
                  ex, Deadline::infinite(), [](const CancelToken &) { return not_found("no such customer"); },
                  [&](Status s) {
                    first = s;
                    done.count_down();
                  })
              .ok());
  REQUIRE(
      pool->submit(
              ex, Deadline::infinite(),
              [](const CancelToken &) -> Result<std::string> { throw std::runtime_error("disk on fire"); },
              [&](Result<std::string> r) {
                second = r.status();
                done.count_down();
              })
          .ok());
  REQUIRE(done.wait());
  CHECK(first == not_found("no such customer"));
  CHECK(second.code() == StatusCode::kInternal);
  CHECK(second.message().find("disk on fire") != std::string::npos);
}

TEST_CASE("submit into a full queue returns QUEUE_FULL at once and destroys both functions unrun") {
  MetricsRegistry m;
  auto ex = std::make_shared<ThreadExecutor>();
  auto pool = make_pool(m, 1, 1);
  BusyWorker busy;
  busy.occupy(*pool, ex);
  Latch queued_done;
  REQUIRE(pool->submit(
                  ex, Deadline::infinite(), [](const CancelToken &) { return Status::Ok(); },
                  [&](Status) { queued_done.count_down(); })
              .ok());
  CHECK(pool->queued() == 1);
  std::atomic<bool> ran{false};
  Latch captures_gone(2);
  auto refused = pool->submit(
      ex, Deadline::infinite(),
      [&ran, w = DeathWatch(&captures_gone)](const CancelToken &) {
        ran = true;
        return Status::Ok();
      },
      [&ran, w = DeathWatch(&captures_gone)](Status) { ran = true; });
  CHECK(refused.status().code() == StatusCode::kQueueFull);
  CHECK(captures_gone.done());  // already destroyed when submit returned
  CHECK(counter(m, "voxline_worker_rejected_total") == 1);
  busy.release();
  REQUIRE(queued_done.wait());
  CHECK(!ran.load());
}

TEST_CASE("submit with no executor is INVALID_ARGUMENT and create refuses bad options") {
  MetricsRegistry m;
  auto pool = make_pool(m);
  auto r = pool->submit(
      std::shared_ptr<Executor>(), Deadline::infinite(), [](const CancelToken &) { return Status::Ok(); },
      [](Status) {});
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  WorkerPoolOptions o;
  o.threads = 0;
  CHECK(WorkerPool::create(o).status().code() == StatusCode::kInvalidArgument);
  o.threads = 257;
  CHECK(WorkerPool::create(o).status().code() == StatusCode::kInvalidArgument);
  o.threads = 1;
  o.queue_capacity = 0;
  CHECK(WorkerPool::create(o).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("a job cancelled before it starts never runs and completes once with CANCELLED") {
  MetricsRegistry m;
  auto ex = std::make_shared<ThreadExecutor>();
  auto pool = make_pool(m);
  BusyWorker busy;
  busy.occupy(*pool, ex);
  std::atomic<bool> ran{false};
  std::atomic<int> completions{0};
  Latch done;
  Status got;
  auto job = pool->submit(
      ex, Deadline::infinite(),
      [&](const CancelToken &) {
        ran = true;
        return Status::Ok();
      },
      [&](Status s) {
        got = s;
        ++completions;
        done.count_down();
      });
  REQUIRE(job.ok());
  CHECK(job->phase() == JobPhase::kQueued);
  CHECK(job->cancel());
  CHECK(!job->cancel());  // idempotent: the second call changes nothing
  CHECK(pool->queued() == 0);
  REQUIRE(done.wait());  // while the only worker is still busy: cancel does not wait for one
  CHECK(got.code() == StatusCode::kCancelled);
  busy.release();
  pool->shutdown();
  ex->shutdown();
  CHECK(!ran.load());
  CHECK(completions.load() == 1);
  CHECK(counter(m, "voxline_worker_cancelled_total") == 1);
}

TEST_CASE("cancelling a running job is seen by its token and its own result is the one completion") {
  MetricsRegistry m;
  auto ex = std::make_shared<ThreadExecutor>();
  auto pool = make_pool(m);
  Latch started, done;
  std::atomic<int> completions{0};
  Status got;
  auto job = pool->submit(
      ex, Deadline::infinite(),
      [&](const CancelToken &token) {
        started.count_down();
        while (!token.cancelled()) std::this_thread::yield();
        return token.check();
      },
      [&](Status s) {
        got = s;
        ++completions;
        done.count_down();
      });
  REQUIRE(job.ok());
  REQUIRE(started.wait());
  CHECK(job->phase() == JobPhase::kRunning);
  CHECK(!job->cancel());  // running: the work decides
  REQUIRE(done.wait());
  pool->shutdown();
  ex->shutdown();
  CHECK(got.code() == StatusCode::kCancelled);
  CHECK(completions.load() == 1);
  CHECK(counter(m, "voxline_worker_cancelled_total") == 0);  // counts only jobs that never ran
}

TEST_CASE("a queued job whose deadline passes completes with TIMEOUT while every worker is still busy") {
  MetricsRegistry m;
  auto ex = std::make_shared<ThreadExecutor>();
  auto pool = make_pool(m);
  BusyWorker busy;
  busy.occupy(*pool, ex);
  std::atomic<bool> ran{false};
  Latch done;
  Status got;
  REQUIRE(pool->submit(
                  ex, Deadline::after(milliseconds(20)),
                  [&](const CancelToken &) {
                    ran = true;
                    return Status::Ok();
                  },
                  [&](Status s) {
                    got = s;
                    done.count_down();
                  })
              .ok());
  REQUIRE(done.wait());  // the worker is still held: the timer thread expired the job
  CHECK(got.code() == StatusCode::kTimeout);
  CHECK(pool->queued() == 0);
  busy.release();
  pool->shutdown();
  CHECK(!ran.load());
  CHECK(counter(m, "voxline_worker_timeouts_total") == 1);
}

TEST_CASE("a deadline on a manual clock expires a queued job once the clock passes it") {
  MetricsRegistry m;
  ManualClock clock;
  auto ex = std::make_shared<ThreadExecutor>();
  auto pool = make_pool(m);
  BusyWorker busy;
  busy.occupy(*pool, ex);
  Latch done;
  Status got;
  auto job = pool->submit(
      ex, Deadline::after(seconds(30), clock), [](const CancelToken &) { return Status::Ok(); },
      [&](Status s) {
        got = s;
        done.count_down();
      });
  REQUIRE(job.ok());
  CHECK(job->phase() == JobPhase::kQueued);
  clock.advance(seconds(31));
  REQUIRE(done.wait());
  CHECK(got.code() == StatusCode::kTimeout);
  busy.release();
}

TEST_CASE("a running job's token carries the job deadline and reports TIMEOUT once it passes") {
  MetricsRegistry m;
  ManualClock clock;
  auto ex = std::make_shared<ThreadExecutor>();
  auto pool = make_pool(m);
  Latch started, done;
  Status got;
  Deadline seen = Deadline::infinite();
  const Deadline deadline = Deadline::after(seconds(2), clock);
  REQUIRE(pool->submit(
                  ex, deadline,
                  [&](const CancelToken &token) {
                    seen = token.deadline();
                    started.count_down();
                    while (!token.stop_requested()) std::this_thread::yield();
                    return token.check();
                  },
                  [&](Status s) {
                    got = s;
                    done.count_down();
                  })
              .ok());
  REQUIRE(started.wait());
  clock.advance(seconds(3));
  REQUIRE(done.wait());
  CHECK(got.code() == StatusCode::kTimeout);
  CHECK(seen.when() == deadline.when());
  CHECK(counter(m, "voxline_worker_timeouts_total") == 0);  // it had started
}

TEST_CASE("cancel racing the start and end of jobs never gives a job two completions or none") {
  MetricsRegistry m;
  auto ex = std::make_shared<ThreadExecutor>(100000);
  auto pool = make_pool(m, 3, 4096);
  constexpr int kJobs = 2000;
  struct Outcome {
    std::atomic<int> completions{0};
    std::atomic<bool> ran{false};
    std::atomic<bool> cancelled_before_start{false};
    Status status;
  };
  std::vector<Outcome> out(kJobs);
  std::vector<JobHandle> handles;
  Latch all_done(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    auto h = pool->submit(
        ex, Deadline::infinite(),
        [&, i](const CancelToken &token) {
          out[i].ran = true;
          return i % 3 == 0 ? token.check() : Status::Ok();
        },
        [&, i](Status s) {
          out[i].status = s;
          out[i].completions.fetch_add(1);
          all_done.count_down();
        });
    REQUIRE(h.ok());
    handles.push_back(*h);
  }
  // Two threads cancel every job in different orders while the workers take them.
  std::vector<std::thread> cancellers;
  for (int t = 0; t < 2; ++t)
    cancellers.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t + 1));
      std::vector<int> order(kJobs);
      for (int i = 0; i < kJobs; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng);
      for (int i : order)
        if (handles[i].cancel()) out[i].cancelled_before_start = true;
    });
  for (auto &t : cancellers) t.join();
  REQUIRE(all_done.wait());
  pool->shutdown();
  ex->shutdown();
  int cancelled_early = 0;
  for (int i = 0; i < kJobs; ++i) {
    CHECK(out[i].completions.load() == 1);
    if (out[i].cancelled_before_start) {
      ++cancelled_early;
      CHECK(!out[i].ran.load());
      CHECK(out[i].status.code() == StatusCode::kCancelled);
    } else {
      CHECK(out[i].ran.load());
    }
  }
  CHECK(counter(m, "voxline_worker_cancelled_total") == static_cast<uint64_t>(cancelled_early));
  CHECK(counter(m, "voxline_worker_jobs_total") == static_cast<uint64_t>(kJobs - cancelled_early));
}

TEST_CASE("a completion the executor refuses is retried until the executor has room, then runs once") {
  MetricsRegistry m;
  auto ex = std::make_shared<ThreadExecutor>(4);
  auto pool = make_pool(m, 1, 16, seconds(30));
  voxline::testing::ExecutorBlocker blocked(*ex);
  REQUIRE(blocked.ok());
  const size_t refused_before = ex->refused();
  Latch done;
  std::atomic<int> completions{0};
  Result<int> got = internal_error("unset");
  REQUIRE(pool->submit(
                  ex, Deadline::infinite(), [](const CancelToken &) -> Result<int> { return 7; },
                  [&](Result<int> r) {
                    got = std::move(r);
                    ++completions;
                    done.count_down();
                  })
              .ok());
  REQUIRE(ex->wait_refused(refused_before + 2));  // the first post and at least one retry
  CHECK(!done.done());
  blocked.release();
  REQUIRE(done.wait());
  ex->shutdown();
  pool->shutdown();
  REQUIRE(got.ok());
  CHECK(*got == 7);
  CHECK(completions.load() == 1);
  CHECK(counter(m, "voxline_worker_completion_retries_total") >= 1);
  CHECK(counter(m, "voxline_worker_completions_dropped_total",
                {{"pool", "test"}, {"reason", "queue_full"}}) == 0);
}

TEST_CASE("a completion still refused after the retry window is dropped: destroyed unrun, counted, logged") {
  MetricsRegistry m;
  Logger log;
  std::mutex lines_mu;
  std::vector<std::string> lines;
  log.set_sink([&](const LogRecord &r) {
    std::lock_guard<std::mutex> lock(lines_mu);
    lines.emplace_back(r.message);
  });
  auto ex = std::make_shared<ThreadExecutor>(2);
  auto pool = make_pool(m, 1, 16, milliseconds(30), &log);
  voxline::testing::ExecutorBlocker blocked(*ex);
  REQUIRE(blocked.ok());
  std::atomic<bool> ran{false};
  Latch gone;
  REQUIRE(pool->submit(
                  ex, Deadline::infinite(), [](const CancelToken &) { return Status::Ok(); },
                  [&ran, w = DeathWatch(&gone)](Status) { ran = true; })
              .ok());
  REQUIRE(gone.wait());  // the completion was destroyed while the executor was still full
  blocked.release();
  ex->shutdown();
  pool->shutdown();
  CHECK(!ran.load());
  CHECK(counter(m, "voxline_worker_completions_dropped_total",
                {{"pool", "test"}, {"reason", "queue_full"}}) == 1);
  std::lock_guard<std::mutex> lock(lines_mu);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("dropped a job completion") != std::string::npos);
  CHECK(lines[0].find("'test'") != std::string::npos);
}

TEST_CASE("a completion for an executor that has shut down is dropped at once and counted as closed") {
  MetricsRegistry m;
  Logger log;
  log.set_sink([](const LogRecord &) {});
  auto ex = std::make_shared<ThreadExecutor>();
  ex->shutdown();
  auto pool = make_pool(m, 1, 16, seconds(30), &log);
  Latch gone;
  REQUIRE(pool->submit(
                  ex, Deadline::infinite(), [](const CancelToken &) { return Status::Ok(); },
                  [w = DeathWatch(&gone)](Status) { FAIL("a completion ran on a shut-down executor"); })
              .ok());
  REQUIRE(gone.wait(milliseconds(5000)));  // well inside the 30 s retry window: no retries
  CHECK(counter(m, "voxline_worker_completions_dropped_total", {{"pool", "test"}, {"reason", "closed"}}) ==
        1);
  CHECK(counter(m, "voxline_worker_completion_retries_total") == 0);
}

TEST_CASE("the work's captures die on the worker after it ran and the completion's on the executor") {
  MetricsRegistry m;
  auto ex = std::make_shared<ThreadExecutor>();
  auto pool = make_pool(m);
  Latch both(2);
  std::atomic<std::thread::id> work_died{}, done_died{}, work_ran_on{};
  REQUIRE(pool->submit(
                  ex, Deadline::infinite(),
                  [&, w = DeathWatch(&both, &work_died)](const CancelToken &) {
                    work_ran_on = std::this_thread::get_id();
                    return Status::Ok();
                  },
                  [w = DeathWatch(&both, &done_died)](Status) {})
              .ok());
  REQUIRE(both.wait());
  CHECK(work_died.load() == work_ran_on.load());
  CHECK(done_died.load() == ex->thread_id());
}

TEST_CASE("shutdown completes queued jobs with CANCELLED, cancels running tokens and waits for them") {
  MetricsRegistry m;
  auto ex = std::make_shared<ThreadExecutor>();
  auto pool = make_pool(m, 1, 16);
  Latch started, all_done(3);
  Status running_result, queued_a, queued_b;
  std::atomic<bool> queued_ran{false};
  REQUIRE(pool->submit(
                  ex, Deadline::infinite(),
                  [&](const CancelToken &token) {
                    started.count_down();
                    while (!token.cancelled()) std::this_thread::yield();
                    return token.check();
                  },
                  [&](Status s) {
                    running_result = s;
                    all_done.count_down();
                  })
              .ok());
  REQUIRE(started.wait());
  auto work = [&](const CancelToken &) {
    queued_ran = true;
    return Status::Ok();
  };
  REQUIRE(pool->submit(ex, Deadline::infinite(), work,
                       [&](Status s) {
                         queued_a = s;
                         all_done.count_down();
                       })
              .ok());
  auto handle_b = pool->submit(ex, Deadline::infinite(), work, [&](Status s) {
    queued_b = s;
    all_done.count_down();
  });
  REQUIRE(handle_b.ok());
  CHECK(m.gauge("voxline_worker_queue_depth", "", {{"pool", "test"}}).value() == 2);
  pool->shutdown();  // returns only once the running job has returned
  CHECK(pool->running() == 0);
  REQUIRE(all_done.wait());
  CHECK(running_result.code() == StatusCode::kCancelled);
  CHECK(queued_a.code() == StatusCode::kCancelled);
  CHECK(queued_b.code() == StatusCode::kCancelled);
  CHECK(!queued_ran.load());
  CHECK(m.gauge("voxline_worker_queue_depth", "", {{"pool", "test"}}).value() == 0);
  CHECK(!handle_b->cancel());
  auto late = pool->submit(ex, Deadline::infinite(), work, [](Status) {});
  CHECK(late.status().code() == StatusCode::kFailedPrecondition);
  pool.reset();
  CHECK(!handle_b->cancel());  // a handle outliving its pool stays safe
  CHECK(handle_b->phase() == JobPhase::kFinished);
}

TEST_CASE("wait and run time are recorded once per job that ran, and queue depth follows the queue") {
  MetricsRegistry m;
  auto ex = std::make_shared<ThreadExecutor>();
  auto pool = make_pool(m, 1, 16);
  Gauge &depth = m.gauge("voxline_worker_queue_depth", "", {{"pool", "test"}});
  BusyWorker busy;
  busy.occupy(*pool, ex);
  Latch done(3);
  for (int i = 0; i < 3; ++i)
    REQUIRE(pool->submit(
                    ex, Deadline::infinite(), [](const CancelToken &) { return Status::Ok(); },
                    [&](Status) { done.count_down(); })
                .ok());
  CHECK(depth.value() == 3);
  busy.release();
  REQUIRE(done.wait());
  pool->shutdown();
  CHECK(depth.value() == 0);
  Histogram &wait = m.histogram("voxline_worker_wait_ms", "", {}, {{"pool", "test"}});
  Histogram &run = m.histogram("voxline_worker_run_ms", "", {}, {{"pool", "test"}});
  CHECK(wait.snapshot().count == 4);
  CHECK(run.snapshot().count == 4);
  CHECK(run.snapshot().sum > 0);  // the busy job ran for as long as the test held it
}
