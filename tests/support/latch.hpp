// Latch: a countdown latch (C++17 has no std::latch) that tests use instead of sleeping. wait()
// takes a generous limit so a broken test fails instead of hanging the suite.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace voxline::testing {

class Latch {
 public:
  explicit Latch(size_t count = 1) : count_(count) {}

  void count_down() {
    std::lock_guard<std::mutex> lock(mu_);
    if (count_ > 0 && --count_ == 0) cv_.notify_all();
  }
  // True once the count reached zero; false when `limit` passed first.
  bool wait(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [this] { return count_ == 0; });
  }
  bool done() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_ == 0;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t count_;
};

}  // namespace voxline::testing
