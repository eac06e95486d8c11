// File: task.hpp
// Task: a move-only `void()` callable, the unit of work an Executor runs. Unlike std::function
// it accepts lambdas that capture move-only state (buffers, unique_ptr, promises).
//
//   Task t = [buf = std::move(buffer)]() mutable { consume(std::move(buf)); };
//   executor.post(std::move(t));
//
// Thread-safety: a Task is a value; move it between threads, call it on one.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace voxline {

class Task {
 public:
  Task() noexcept = default;
  Task(std::nullptr_t) noexcept {}  // NOLINT: an empty Task, like std::function
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Task> &&
                                                    std::is_invocable_r_v<void, std::decay_t<F> &>>>
  Task(F &&f)  // NOLINT: implicit, so lambdas convert at call sites
      : impl_(std::make_unique<Model<std::decay_t<F>>>(std::forward<F>(f))) {}

  Task(Task &&) noexcept = default;
  Task &operator=(Task &&) noexcept = default;
  Task(const Task &) = delete;
  Task &operator=(const Task &) = delete;

  explicit operator bool() const noexcept { return impl_ != nullptr; }
  // Runs the callable; calling an empty Task is a no-op.
  void operator()() {
    if (impl_) impl_->call();
  }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual void call() = 0;
  };
  template <typename F>
  struct Model final : Concept {
    explicit Model(F &&f) : fn(std::move(f)) {}
    explicit Model(const F &f) : fn(f) {}
    void call() override { fn(); }
    F fn;
  };
  std::unique_ptr<Concept> impl_;
};

}  // namespace voxline
