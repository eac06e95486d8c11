// File: thread_annotations.hpp
// Clang thread-safety annotations (Abseil style) and an annotated Mutex, so `-Wthread-safety`
// checks that guarded members are only touched with their lock held. With other compilers the
// macros expand to nothing.
//
//   class Registry {
//     Mutex mu_;
//     std::map<std::string, int> items_ VOXLINE_GUARDED_BY(mu_);
//     void add(const std::string &k) { MutexLock lock(mu_); items_[k] = 1; }
//   };
//
// Thread-safety: Mutex is a std::mutex; the usual rules apply.
#pragma once

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define VOXLINE_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define VOXLINE_THREAD_ANNOTATION_(x)
#endif

#define VOXLINE_CAPABILITY(x) VOXLINE_THREAD_ANNOTATION_(capability(x))
#define VOXLINE_SCOPED_CAPABILITY VOXLINE_THREAD_ANNOTATION_(scoped_lockable)
#define VOXLINE_GUARDED_BY(x) VOXLINE_THREAD_ANNOTATION_(guarded_by(x))
#define VOXLINE_PT_GUARDED_BY(x) VOXLINE_THREAD_ANNOTATION_(pt_guarded_by(x))
#define VOXLINE_REQUIRES(...) VOXLINE_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define VOXLINE_EXCLUDES(...) VOXLINE_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#define VOXLINE_ACQUIRE(...) VOXLINE_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define VOXLINE_RELEASE(...) VOXLINE_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define VOXLINE_NO_THREAD_SAFETY_ANALYSIS VOXLINE_THREAD_ANNOTATION_(no_thread_safety_analysis)

namespace voxline {

// std::mutex with a capability annotation (libstdc++'s own mutex carries none).
class VOXLINE_CAPABILITY("mutex") Mutex {
 public:
  void lock() VOXLINE_ACQUIRE() { mu_.lock(); }
  void unlock() VOXLINE_RELEASE() { mu_.unlock(); }
  // For condition variables: the underlying std::mutex.
  std::mutex &native() { return mu_; }

 private:
  std::mutex mu_;
};

// RAII lock over a Mutex that the analysis understands.
class VOXLINE_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex &mu) VOXLINE_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() VOXLINE_RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock &) = delete;
  MutexLock &operator=(const MutexLock &) = delete;

 private:
  Mutex &mu_;
};

// RAII lock that may be released and re-taken inside its scope (work outside the lock, then
// back in) and that std::condition_variable_any can wait on; understood by the analysis.
//   ReleasableMutexLock lock(mu_);  ...  lock.unlock(); slow_io(); lock.lock();  ...
//   cv_.wait_for(lock, slice);
class VOXLINE_SCOPED_CAPABILITY ReleasableMutexLock {
 public:
  explicit ReleasableMutexLock(Mutex &mu) VOXLINE_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~ReleasableMutexLock() VOXLINE_RELEASE() {
    if (held_) mu_.unlock();
  }
  ReleasableMutexLock(const ReleasableMutexLock &) = delete;
  ReleasableMutexLock &operator=(const ReleasableMutexLock &) = delete;
  void lock() VOXLINE_ACQUIRE() {
    mu_.lock();
    held_ = true;
  }
  void unlock() VOXLINE_RELEASE() {
    held_ = false;
    mu_.unlock();
  }

 private:
  Mutex &mu_;
  bool held_ = true;
};

}  // namespace voxline
