#include "voxline/core/deadline.hpp"

#include <cstdint>
#include <limits>

namespace voxline {

Deadline Deadline::after(Duration d, const Clock &clock) noexcept {
  const SteadyTime now = clock.now();
  // Saturate instead of overflowing when a caller passes a huge duration.
  if (d > SteadyTime::max() - now) return Deadline(SteadyTime::max(), true, &clock);
  return Deadline(now + std::chrono::duration_cast<SteadyTime::duration>(d), false, &clock);
}

Deadline Deadline::at(SteadyTime when, const Clock &clock) noexcept {
  return Deadline(when, false, &clock);
}

Deadline Deadline::infinite(const Clock &clock) noexcept {
  return Deadline(SteadyTime::max(), true, &clock);
}

bool Deadline::expired() const noexcept {
  return !infinite_ && clock_->now() >= when_;
}

Duration Deadline::remaining() const noexcept {
  if (infinite_) return Duration::max();
  const SteadyTime now = clock_->now();
  return now >= when_ ? Duration::zero() : std::chrono::duration_cast<Duration>(when_ - now);
}

int Deadline::remaining_ms() const noexcept {
  if (infinite_) return std::numeric_limits<int32_t>::max();
  const int64_t ns = remaining().count();
  const int64_t ms = (ns + 999'999) / 1'000'000;  // round up: 0.2 ms left is still "wait"
  return ms > std::numeric_limits<int32_t>::max() ? std::numeric_limits<int32_t>::max()
                                                  : static_cast<int>(ms);
}

Deadline Deadline::earliest(const Deadline &a, const Deadline &b) noexcept {
  if (a.infinite_) return b;
  if (b.infinite_) return a;
  return a.when_ <= b.when_ ? a : b;
}

}  // namespace voxline
