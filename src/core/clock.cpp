#include "voxline/core/clock.hpp"

namespace voxline {
namespace {

class SystemClock final : public Clock {
 public:
  SteadyTime now() const noexcept override { return std::chrono::steady_clock::now(); }
  WallTime wall_now() const noexcept override { return std::chrono::system_clock::now(); }
};

int64_t to_ns(Duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

}  // namespace

const Clock &Clock::system() noexcept {
  static const SystemClock clock;  // function-local: no static-initialisation-order hazard
  return clock;
}

ManualClock::ManualClock(WallTime wall_start) noexcept
    : steady_ns_(to_ns(std::chrono::hours(1000))), wall_ns_(to_ns(wall_start.time_since_epoch())) {}

SteadyTime ManualClock::now() const noexcept {
  return SteadyTime(std::chrono::duration_cast<SteadyTime::duration>(
      std::chrono::nanoseconds(steady_ns_.load(std::memory_order_acquire))));
}

WallTime ManualClock::wall_now() const noexcept {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(
      std::chrono::nanoseconds(wall_ns_.load(std::memory_order_acquire))));
}

void ManualClock::advance(Duration d) noexcept {
  if (d <= Duration::zero()) return;
  steady_ns_.fetch_add(to_ns(d), std::memory_order_acq_rel);
  wall_ns_.fetch_add(to_ns(d), std::memory_order_acq_rel);
}

void ManualClock::set_wall(WallTime t) noexcept {
  wall_ns_.store(to_ns(t.time_since_epoch()), std::memory_order_release);
}

}  // namespace voxline
