// File: bounded_queue.hpp
// BoundedQueue<T>: a multi-producer, multi-consumer FIFO with a hard capacity and an explicit
// overflow policy. Every queue in voxline is one of these, so none can grow without bound.
//
//   BoundedQueue<AudioFrame> q(64, OverflowPolicy::kDropOldest);
//   q.push(std::move(frame));                       // never blocks the producer
//   Result<AudioFrame> f = q.pop(Deadline::after(std::chrono::milliseconds(20)));
//   QueueStats s = q.stats();                       // high-water mark, drops, rejects
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "voxline/core/deadline.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"
#include "voxline/core/thread_annotations.hpp"

namespace voxline {

enum class OverflowPolicy {
  kReject,      // a push into a full queue fails with QUEUE_FULL and the item stays with the caller
  kDropOldest,  // a push into a full queue evicts the oldest item (counted in `dropped`)
};

struct QueueStats {
  size_t size = 0;
  size_t capacity = 0;
  size_t high_water = 0;  // largest size ever reached
  uint64_t pushed = 0;    // items accepted
  uint64_t popped = 0;    // items handed to consumers
  uint64_t dropped = 0;   // items evicted by kDropOldest
  uint64_t rejected = 0;  // pushes refused by kReject or because the queue was closed
};

template <typename T>
class BoundedQueue {
 public:
  // `capacity` 0 is raised to 1: a queue that can hold nothing would reject everything.
  BoundedQueue(size_t capacity, OverflowPolicy policy)
      : capacity_(std::max<size_t>(capacity, 1)), policy_(policy) {}

  BoundedQueue(const BoundedQueue &) = delete;
  BoundedQueue &operator=(const BoundedQueue &) = delete;

  // Enqueues `item` without blocking. On QUEUE_FULL (kReject) or FAILED_PRECONDITION (closed)
  // `item` is left untouched, so the caller loses nothing. With kDropOldest the evicted item is
  // moved into `*evicted` when given, else destroyed.
  Status push(T &&item, std::optional<T> *evicted = nullptr) {
    {
      MutexLock lock(mu_);
      if (closed_) {
        ++rejected_;
        return failed_precondition("queue is closed");
      }
      if (items_.size() >= capacity_) {
        if (policy_ == OverflowPolicy::kReject) {
          ++rejected_;
          return queue_full("queue is full (capacity " + std::to_string(capacity_) + ")");
        }
        if (evicted != nullptr) evicted->emplace(std::move(items_.front()));
        items_.pop_front();
        ++dropped_;
      }
      items_.push_back(std::move(item));
      ++pushed_;
      high_water_ = std::max(high_water_, items_.size());
    }
    ready_.notify_one();
    return Status::Ok();
  }
  Status push(const T &item) {
    T copy(item);
    return push(std::move(copy));
  }

  // Takes the oldest item if there is one; never blocks.
  std::optional<T> try_pop() {
    MutexLock lock(mu_);
    return take_locked();
  }

  // Waits until an item arrives, the deadline expires (TIMEOUT) or the queue is closed and
  // empty (CANCELLED). Items pushed before close() are still delivered.
  Result<T> pop(const Deadline &deadline) {
    MutexLock lock(mu_);
    for (;;) {
      if (std::optional<T> item = take_locked()) return std::move(*item);
      if (closed_) return cancelled("queue closed");
      if (deadline.expired()) return timeout_error("no item before the deadline");
      // Wait in slices so an injected (manual) clock that moves is noticed too.
      auto slice = std::min<Duration>(deadline.remaining(), std::chrono::milliseconds(50));
      ready_.wait_for(mu_, slice);  // condition_variable_any unlocks mu_ while waiting
    }
  }

  // Moves up to `max` items into `out` in FIFO order; returns how many.
  size_t drain(std::vector<T> &out, size_t max = SIZE_MAX) {
    MutexLock lock(mu_);
    size_t n = 0;
    while (n < max && !items_.empty()) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
      ++popped_;
      ++n;
    }
    return n;
  }

  // Refuses further pushes and wakes every waiting consumer. Idempotent.
  void close() {
    {
      MutexLock lock(mu_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  // Removes every queued item (counted as dropped); the queue stays open.
  size_t clear() {
    MutexLock lock(mu_);
    const size_t n = items_.size();
    items_.clear();
    dropped_ += n;
    return n;
  }

  QueueStats stats() const {
    MutexLock lock(mu_);
    return QueueStats{items_.size(), capacity_, high_water_, pushed_, popped_, dropped_, rejected_};
  }
  size_t size() const {
    MutexLock lock(mu_);
    return items_.size();
  }
  size_t capacity() const noexcept { return capacity_; }
  OverflowPolicy policy() const noexcept { return policy_; }
  bool closed() const {
    MutexLock lock(mu_);
    return closed_;
  }

 private:
  std::optional<T> take_locked() VOXLINE_REQUIRES(mu_) {
    if (items_.empty()) return std::nullopt;
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    ++popped_;
    return item;
  }

  const size_t capacity_;
  const OverflowPolicy policy_;
  mutable Mutex mu_;
  std::condition_variable_any ready_;
  std::deque<T> items_ VOXLINE_GUARDED_BY(mu_);
  bool closed_ VOXLINE_GUARDED_BY(mu_) = false;
  size_t high_water_ VOXLINE_GUARDED_BY(mu_) = 0;
  uint64_t pushed_ VOXLINE_GUARDED_BY(mu_) = 0;
  uint64_t popped_ VOXLINE_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ VOXLINE_GUARDED_BY(mu_) = 0;
  uint64_t rejected_ VOXLINE_GUARDED_BY(mu_) = 0;
};

}  // namespace voxline
