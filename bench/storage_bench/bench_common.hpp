// File: bench_common.hpp
// Helpers shared by storage_bench's SQLite and PostgreSQL columns: timing, failing loudly, the
// benchmark shop (open around the clock, 100 bays) and its slot grid.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "voxline/core/result.hpp"
#include "voxline/storage/models.hpp"

namespace voxline::bench {

using Seconds = std::chrono::duration<double>;

inline double now_s() {
  return Seconds(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline std::string phone_of(int i) {
  return fmt::format("+1555{:07}", i);
}

[[noreturn]] inline void die(const std::string &what, const Status &s) {
  std::fprintf(stderr, "storage_bench: %s: %s\n", what.c_str(), s.to_string().c_str());
  std::exit(1);
}

template <typename T>
T check(Result<T> r, const std::string &what) {
  if (!r.ok()) die(what, r.status());
  return std::move(r).value();
}

inline void check(const Status &s, const std::string &what) {
  if (!s.ok()) die(what, s);
}

// A shop open around the clock with 100 bays and 30-minute slots, so bookings never run out.
inline ShopConfig bench_shop() {
  ShopConfig c;
  c.name = "Bench Motors";
  c.bays = 100;
  c.slots.slot_minutes = 30;
  for (int d = 0; d < 7; ++d) c.slots.hours.push_back({d, 0, 24 * 60});
  c.services = {{"oil_change", "Oil change", 30}};
  return c;
}

struct Slot {
  int bay;
  WallTime start;
};

// Slot k of a grid: 100 bays x 48 half-hours per day, starting on day `day0`.
inline Slot slot(int k, WallTime day0) {
  return {1 + k % 100, day0 + std::chrono::minutes(30 * (k / 100))};
}

}  // namespace voxline::bench
