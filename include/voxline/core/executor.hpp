// File: executor.hpp
// Executor: somewhere to run tasks and timers in order on one thread, and TimerHandle, the handle
// of a scheduled timer. The network Runtime's slots are Executors (net/slot.hpp); WorkerPool posts
// each job's completion to the Executor the job names, so a session's state is only ever touched
// on its own slot thread and needs no lock.
//
//   Status s = slot->post([this] { on_audio_ready(); });          // QUEUE_FULL when saturated
//   Result<TimerHandle> t = slot->schedule(std::chrono::milliseconds(700), [this] { say_filler(); });
//   if (t.ok()) t->cancel();                                       // from any thread
//
// Ordering: tasks posted from one thread run in post order. A task never runs inside post() or
// schedule(), even when called on the executor's own thread.
// Lifetime: an Executor handle may outlive its owner (the Runtime); posts then fail with
// FAILED_PRECONDITION and pending tasks and timers are destroyed without running.
// Thread-safety: every method of Executor and TimerHandle may be called from any thread,
// including from inside a task or timer callback.
#pragma once

#include <memory>

#include "voxline/core/clock.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"
#include "voxline/core/task.hpp"

namespace voxline {

// A scheduled timer. Copies share the timer; destroying the handle does not cancel it.
class VOXLINE_API TimerHandle {
 public:
  // Implemented by each executor.
  class Control {
   public:
    virtual ~Control() = default;
    // Stops the timer if it has not started running; true when that guarantees it never runs.
    virtual bool cancel() noexcept = 0;
    // True until the callback has started or the timer was cancelled.
    virtual bool pending() const noexcept = 0;
  };

  TimerHandle() noexcept = default;  // an empty handle: cancel() does nothing
  explicit TimerHandle(std::shared_ptr<Control> control) noexcept : control_(std::move(control)) {}

  // Any thread. True when the callback is guaranteed not to run; false when it already ran, is
  // running right now on the executor's thread, or was cancelled before. Idempotent.
  bool cancel() noexcept { return control_ != nullptr && control_->cancel(); }
  bool pending() const noexcept { return control_ != nullptr && control_->pending(); }

 private:
  std::shared_ptr<Control> control_;
};

class VOXLINE_API Executor {
 public:
  virtual ~Executor() = default;

  // Queues `task` to run on this executor's thread. Never blocks and never runs the task inline.
  // QUEUE_FULL when the bounded task queue is full (the task is destroyed, not run);
  // FAILED_PRECONDITION after shutdown.
  virtual Status post(Task task) = 0;

  // Runs `task` once on this executor's thread after `delay` (non-positive: on the next loop
  // turn). Timers keep no drift of their own: re-arm from an absolute schedule for periodic work.
  // FAILED_PRECONDITION after shutdown.
  virtual Result<TimerHandle> schedule(Duration delay, Task task) = 0;

  // True when called on this executor's thread (for assertions and fast paths).
  virtual bool running_in_this_thread() const noexcept = 0;
};

}  // namespace voxline
