// ThreadExecutor: a real Executor backed by one std::thread, a bounded task queue and a timer
// list, for testing code that posts to an Executor (WorkerPool, DnsResolver) without a Runtime.
// It keeps the Executor contract (core/executor.hpp): bounded post() with QUEUE_FULL, tasks in
// post order, never inline, FAILED_PRECONDITION after shutdown(); timers on the steady clock.
//
//   auto ex = std::make_shared<voxline::testing::ThreadExecutor>(/*capacity*/ 16);
//   ex->post([&] { CHECK(ex->running_in_this_thread()); });
//   ex->shutdown();   // joins; queued tasks and timers are destroyed without running
//
// Lifetime: the thread shares the executor's state, so the executor may be destroyed anywhere,
// even by a task on its own thread dropping the last reference (the thread then ends by itself).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "voxline/core/executor.hpp"
#include "voxline/core/thread_annotations.hpp"

namespace voxline::testing {

class ThreadExecutor final : public Executor {
 public:
  explicit ThreadExecutor(size_t capacity = 1024) : state_(std::make_shared<State>(capacity)) {
    thread_ = std::thread([s = state_] { s->loop(); });
    state_->thread_id = thread_.get_id();
  }
  ~ThreadExecutor() override { shutdown(); }
  ThreadExecutor(const ThreadExecutor &) = delete;
  ThreadExecutor &operator=(const ThreadExecutor &) = delete;

  Status post(Task task) override { return state_->post(std::move(task)); }
  Result<TimerHandle> schedule(Duration delay, Task task) override {
    return state_->schedule(delay, std::move(task));
  }
  bool running_in_this_thread() const noexcept override {
    return std::this_thread::get_id() == state_->thread_id.load();
  }

  // Stops the thread after the task it is running; queued tasks and timers are destroyed unrun.
  void shutdown() {
    state_->stop();
    if (thread_.joinable()) {
      if (thread_.get_id() == std::this_thread::get_id())
        thread_.detach();  // a task dropped the last reference: the loop ends when it returns
      else
        thread_.join();
    }
    state_->discard();
  }

  std::thread::id thread_id() const noexcept { return state_->thread_id.load(); }
  // Posts refused with QUEUE_FULL so far.
  size_t refused() const {
    MutexLock lock(state_->mu);
    return state_->refused;
  }
  // Waits until `n` posts have been refused in all; false when `limit` passed first.
  bool wait_refused(size_t n, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    MutexLock lock(state_->mu);
    while (state_->refused < n)
      if (state_->refused_cv.wait_until(state_->mu, until) == std::cv_status::timeout)
        return state_->refused >= n;
    return true;
  }

 private:
  struct Timer final : TimerHandle::Control {
    enum { kPending, kStarted, kCancelled };
    std::atomic<int> state{kPending};
    Task task;  // touched only by the executor thread once published
    std::chrono::steady_clock::time_point due;
    bool cancel() noexcept override {
      int expected = kPending;
      return state.compare_exchange_strong(expected, kCancelled);
    }
    bool pending() const noexcept override { return state.load() == kPending; }
  };

  struct State {
    explicit State(size_t cap) : capacity(std::max<size_t>(cap, 1)) {}

    Status post(Task task) {
      {
        MutexLock lock(mu);
        if (stopping) return failed_precondition("executor is shut down");
        if (tasks.size() >= capacity) {
          ++refused;
          refused_cv.notify_all();
          return queue_full("executor queue is full");
        }
        tasks.push_back(std::move(task));
      }
      cv.notify_one();
      return Status::Ok();
    }

    Result<TimerHandle> schedule(Duration delay, Task task) {
      auto timer = std::make_shared<Timer>();
      timer->task = std::move(task);
      timer->due = std::chrono::steady_clock::now() + std::max(delay, Duration::zero());
      {
        MutexLock lock(mu);
        if (stopping) return failed_precondition("executor is shut down");
        timers.push_back(timer);
      }
      cv.notify_one();
      return TimerHandle(timer);
    }

    void stop() {
      {
        MutexLock lock(mu);
        stopping = true;
      }
      cv.notify_all();
    }

    void discard() {
      std::deque<Task> dead_tasks;
      std::vector<std::shared_ptr<Timer>> dead_timers;
      MutexLock lock(mu);
      dead_tasks.swap(tasks);
      dead_timers.swap(timers);
    }

    void loop() {
      thread_id = std::this_thread::get_id();
      for (;;) {
        Task task;
        std::shared_ptr<Timer> timer;
        {
          MutexLock lock(mu);
          for (;;) {
            if (stopping) return;
            const auto now = std::chrono::steady_clock::now();
            auto due =
                std::find_if(timers.begin(), timers.end(), [&](const auto &t) { return t->due <= now; });
            if (due != timers.end()) {
              timer = std::move(*due);
              timers.erase(due);
              break;
            }
            if (!tasks.empty()) {
              task = std::move(tasks.front());
              tasks.pop_front();
              break;
            }
            auto next = std::chrono::steady_clock::time_point::max();
            for (const auto &t : timers) next = std::min(next, t->due);
            if (next == std::chrono::steady_clock::time_point::max())
              cv.wait(mu);
            else
              cv.wait_until(mu, next);
          }
        }
        if (timer != nullptr) {
          int expected = Timer::kPending;
          if (timer->state.compare_exchange_strong(expected, Timer::kStarted)) timer->task();
          timer->task = nullptr;
        } else {
          task();
        }
        // The captures die here, on this thread, before the next task runs.
      }
    }

    const size_t capacity;
    Mutex mu;
    std::condition_variable_any cv;
    std::condition_variable_any refused_cv;
    std::deque<Task> tasks VOXLINE_GUARDED_BY(mu);
    std::vector<std::shared_ptr<Timer>> timers VOXLINE_GUARDED_BY(mu);
    bool stopping VOXLINE_GUARDED_BY(mu) = false;
    size_t refused VOXLINE_GUARDED_BY(mu) = 0;
    std::atomic<std::thread::id> thread_id{};
  };

  std::shared_ptr<State> state_;
  std::thread thread_;
};

// Occupies an executor's thread and fills its queue, so every further post is refused with
// QUEUE_FULL until release() (or destruction) lets the queued tasks run.
class ExecutorBlocker {
 public:
  explicit ExecutorBlocker(ThreadExecutor &ex) : gate_(std::make_shared<Gate>()) {
    if (!ex.post([gate = gate_] {
             gate->running.store(true);
             MutexLock lock(gate->mu);
             while (!gate->released) gate->cv.wait(gate->mu);
           }).ok())
      return;
    while (!gate_->running.load()) std::this_thread::yield();
    while (ex.post([] {}).ok()) {
    }
    ok_ = true;
  }
  ~ExecutorBlocker() { release(); }
  ExecutorBlocker(const ExecutorBlocker &) = delete;
  ExecutorBlocker &operator=(const ExecutorBlocker &) = delete;

  // False when the executor could not be blocked (it was shut down).
  bool ok() const noexcept { return ok_; }
  void release() {
    {
      MutexLock lock(gate_->mu);
      gate_->released = true;
    }
    gate_->cv.notify_all();
  }

 private:
  struct Gate {  // shared with the blocking task, which may outlive the blocker
    Mutex mu;
    std::condition_variable_any cv;
    bool released VOXLINE_GUARDED_BY(mu) = false;
    std::atomic<bool> running{false};
  };
  std::shared_ptr<Gate> gate_;
  bool ok_ = false;
};

}  // namespace voxline::testing
