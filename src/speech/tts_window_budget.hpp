// Internal: a sliding-window budget (at most `limit` units in any `window`), as Deepgram counts
// its per-socket TTS limits (characters and Flushes per 60 s). A token bucket would let up to
// twice the limit through in one window. Memory: one entry per take() still inside the window.
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "voxline/core/clock.hpp"

namespace voxline::speech::detail {

class WindowBudget {
 public:
  WindowBudget(int64_t limit, Duration window) : limit_(limit), window_(window) {}

  bool unlimited() const noexcept { return limit_ <= 0; }
  int64_t limit() const noexcept { return limit_; }
  // Time from `now` until `amount` more units fit (zero: now). Duration::max() when `amount`
  // exceeds the limit, so it can never fit.
  Duration wait_for(int64_t amount, SteadyTime now);
  // Records `amount` units taken at `at` (at >= every earlier `at`).
  void take(int64_t amount, SteadyTime at);
  int64_t used(SteadyTime now);

 private:
  void expire(SteadyTime now);
  int64_t limit_;
  Duration window_;
  std::deque<std::pair<SteadyTime, int64_t>> log_;
  int64_t sum_ = 0;
};

}  // namespace voxline::speech::detail
