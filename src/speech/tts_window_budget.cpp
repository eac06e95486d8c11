#include "speech/tts_window_budget.hpp"

namespace voxline::speech::detail {

void WindowBudget::expire(SteadyTime now) {
  while (!log_.empty() && log_.front().first + window_ <= now) {
    sum_ -= log_.front().second;
    log_.pop_front();
  }
}

Duration WindowBudget::wait_for(int64_t amount, SteadyTime now) {
  if (unlimited()) return Duration::zero();
  if (amount > limit_) return Duration::max();
  expire(now);
  int64_t excess = sum_ + amount - limit_;
  if (excess <= 0) return Duration::zero();
  // Entries leave the window oldest first; wait until enough of them have.
  for (const auto &[at, n] : log_) {
    excess -= n;
    if (excess <= 0) return at + window_ - now;
  }
  return window_;  // not reached: the log holds at least `excess`
}

void WindowBudget::take(int64_t amount, SteadyTime at) {
  if (unlimited() || amount <= 0) return;
  log_.emplace_back(at, amount);
  sum_ += amount;
}

int64_t WindowBudget::used(SteadyTime now) {
  expire(now);
  return sum_;
}

}  // namespace voxline::speech::detail
