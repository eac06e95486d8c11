// File: deadline.hpp
// Deadline: an absolute point on a Clock's monotonic time after which an operation must give up.
// Every wait in voxline takes one; Deadline::infinite() exists for the rare documented case.
//
//   Deadline d = Deadline::after(std::chrono::milliseconds(500));
//   while (!done) { if (d.expired()) return timeout_error("send took longer than 500 ms"); ... }
//
// The referenced Clock must outlive the Deadline (Clock::system() always does).
// Thread-safety: a Deadline is an immutable value; use it from any thread.
#pragma once

#include <algorithm>
#include <chrono>

#include "voxline/core/clock.hpp"

namespace voxline {

class VOXLINE_API Deadline {
 public:
  // Expires `d` from now on `clock`. A non-positive `d` is already expired.
  static Deadline after(Duration d, const Clock &clock = Clock::system()) noexcept;
  // Expires at an absolute steady time on `clock`.
  static Deadline at(SteadyTime when, const Clock &clock = Clock::system()) noexcept;
  // Never expires.
  static Deadline infinite(const Clock &clock = Clock::system()) noexcept;

  bool is_infinite() const noexcept { return infinite_; }
  bool expired() const noexcept;
  // Time left, clamped at zero; Duration::max() when infinite.
  Duration remaining() const noexcept;
  // Time left in whole milliseconds, rounded up so a pending deadline never reads as 0;
  // clamped to [0, INT32_MAX] for APIs that take an int timeout (poll, curl, hiredis).
  int remaining_ms() const noexcept;
  SteadyTime when() const noexcept { return when_; }
  const Clock &clock() const noexcept { return *clock_; }

  // The earlier of two deadlines (for "connect timeout, but never past the call's deadline").
  static Deadline earliest(const Deadline &a, const Deadline &b) noexcept;

 private:
  Deadline(SteadyTime when, bool infinite, const Clock *clock) noexcept
      : when_(when), infinite_(infinite), clock_(clock) {}
  SteadyTime when_;
  bool infinite_;
  const Clock *clock_;
};

}  // namespace voxline
