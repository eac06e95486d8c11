// Control for VoxlineThreadSafetyCheck.cmake: a guarded member touched with its lock held
// (MutexLock, ReleasableMutexLock and a VOXLINE_REQUIRES helper) compiles cleanly.
#include "voxline/core/thread_annotations.hpp"

class Counter {
 public:
  void add() {
    voxline::MutexLock lock(mu_);
    bump();
  }
  int read_then_release() {
    voxline::ReleasableMutexLock lock(mu_);
    const int v = value_;
    lock.unlock();
    lock.lock();
    return v + value_;
  }

 private:
  void bump() VOXLINE_REQUIRES(mu_) { ++value_; }
  voxline::Mutex mu_;
  int value_ VOXLINE_GUARDED_BY(mu_) = 0;
};

int voxline_thread_safety_guarded() {
  Counter c;
  c.add();
  return c.read_then_release();
}
