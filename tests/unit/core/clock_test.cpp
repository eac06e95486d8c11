#include <doctest/doctest.h>

#include <limits>

#include "voxline/core/clock.hpp"
#include "voxline/core/deadline.hpp"

using namespace std::chrono_literals;
using voxline::Deadline;
using voxline::ManualClock;

TEST_CASE("manual clock moves only when advanced and never backwards") {
  ManualClock clock;
  const auto t0 = clock.now();
  CHECK(clock.now() == t0);
  clock.advance(250ms);
  CHECK(clock.now() - t0 == 250ms);
  clock.advance(-1s);  // ignored
  CHECK(clock.now() - t0 == 250ms);
}

TEST_CASE("manual clock wall time follows advance and can be set independently") {
  ManualClock clock(voxline::WallTime(std::chrono::seconds(1'800'000'000)));
  const auto w0 = clock.wall_now();
  clock.advance(3s);
  CHECK(clock.wall_now() - w0 == 3s);
  const auto steady_before = clock.now();
  clock.set_wall(voxline::WallTime(std::chrono::seconds(1'700'000'000)));
  CHECK(clock.wall_now() == voxline::WallTime(std::chrono::seconds(1'700'000'000)));
  CHECK(clock.now() == steady_before);  // a wall jump does not move monotonic time
}

TEST_CASE("deadline expires exactly when its duration has elapsed") {
  ManualClock clock;
  Deadline d = Deadline::after(100ms, clock);
  CHECK_FALSE(d.expired());
  CHECK(d.remaining() == 100ms);
  CHECK(d.remaining_ms() == 100);
  clock.advance(99ms);
  CHECK_FALSE(d.expired());
  CHECK(d.remaining_ms() == 1);
  clock.advance(1ms);
  CHECK(d.expired());
  CHECK(d.remaining() == voxline::Duration::zero());
  CHECK(d.remaining_ms() == 0);
}

TEST_CASE("remaining_ms rounds a sub-millisecond remainder up so callers still wait") {
  ManualClock clock;
  Deadline d = Deadline::after(1500us, clock);
  CHECK(d.remaining_ms() == 2);
  clock.advance(1400us);
  CHECK(d.remaining_ms() == 1);
}

TEST_CASE("infinite deadline never expires and reports the int32 maximum") {
  ManualClock clock;
  Deadline d = Deadline::infinite(clock);
  clock.advance(std::chrono::hours(24 * 365 * 100));
  CHECK_FALSE(d.expired());
  CHECK(d.is_infinite());
  CHECK(d.remaining_ms() == std::numeric_limits<int32_t>::max());
}

TEST_CASE("a huge duration saturates to infinite instead of overflowing") {
  Deadline d = Deadline::after(voxline::Duration::max());
  CHECK(d.is_infinite());
  CHECK_FALSE(d.expired());
}

TEST_CASE("zero and negative durations are already expired") {
  ManualClock clock;
  CHECK(Deadline::after(0ms, clock).expired());
  CHECK(Deadline::after(-5ms, clock).expired());
}

TEST_CASE("earliest picks the sooner deadline and ignores infinite ones") {
  ManualClock clock;
  Deadline a = Deadline::after(1s, clock);
  Deadline b = Deadline::after(2s, clock);
  CHECK(Deadline::earliest(a, b).when() == a.when());
  CHECK(Deadline::earliest(b, a).when() == a.when());
  CHECK(Deadline::earliest(Deadline::infinite(clock), b).when() == b.when());
  CHECK(Deadline::earliest(a, Deadline::infinite(clock)).when() == a.when());
}

TEST_CASE("system clock is monotonic across calls") {
  const auto &clock = voxline::Clock::system();
  auto prev = clock.now();
  for (int i = 0; i < 1000; ++i) {
    auto next = clock.now();
    CHECK(next >= prev);
    prev = next;
  }
}
