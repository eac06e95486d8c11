// File: clock.hpp
// Clock: the injectable source of time. Monotonic time drives deadlines, timers and latency;
// wall time (UTC) is used only for business rules and records (appointment slots, call logs).
// Production code takes a `const Clock&` (default: Clock::system()); tests pass a ManualClock.
//
//   ManualClock clock;
//   Deadline d = Deadline::after(std::chrono::seconds(5), clock);
//   clock.advance(std::chrono::seconds(6));   // d.expired() is now true
//
// Thread-safety: every method of both clocks may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "voxline/core/export.hpp"

namespace voxline {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Duration = std::chrono::nanoseconds;
using Millis = std::chrono::milliseconds;

class VOXLINE_API Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic "now": never goes backwards.
  virtual SteadyTime now() const noexcept = 0;
  // Wall-clock "now" (UTC); may jump when the host's clock is set.
  virtual WallTime wall_now() const noexcept = 0;

  // The process-wide real clock (steady_clock + system_clock). Lives for the whole process.
  static const Clock &system() noexcept;
};

// A clock that moves only when told to: deterministic tests of timeouts, TTLs and backoff.
class VOXLINE_API ManualClock final : public Clock {
 public:
  // Starts at an arbitrary fixed steady time and at `wall_start` for wall time.
  explicit ManualClock(WallTime wall_start = WallTime(std::chrono::hours(24 * 365 * 56))) noexcept;

  SteadyTime now() const noexcept override;
  WallTime wall_now() const noexcept override;

  // Moves both clocks forward by `d` (negative values are ignored: time never goes back).
  void advance(Duration d) noexcept;
  // Sets wall time only (to model a host clock change); steady time is unaffected.
  void set_wall(WallTime t) noexcept;

 private:
  std::atomic<int64_t> steady_ns_;
  std::atomic<int64_t> wall_ns_;
};

// Milliseconds between two steady times as a double, for latency figures.
inline double elapsed_ms(SteadyTime from, SteadyTime to) noexcept {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace voxline
