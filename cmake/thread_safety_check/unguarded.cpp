// Must NOT compile under -Wthread-safety -Werror (VoxlineThreadSafetyCheck.cmake): a guarded
// member written without its lock, and read after the lock was released.
#include "voxline/core/thread_annotations.hpp"

class Counter {
 public:
  void add_unlocked() { ++value_; }  // the deliberate bug
  int read_after_unlock() {
    voxline::ReleasableMutexLock lock(mu_);
    lock.unlock();
    return value_;  // the second deliberate bug
  }

 private:
  voxline::Mutex mu_;
  int value_ VOXLINE_GUARDED_BY(mu_) = 0;
};

int voxline_thread_safety_unguarded() {
  Counter c;
  c.add_unlocked();
  return c.read_after_unlock();
}
