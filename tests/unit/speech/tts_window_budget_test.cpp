// WindowBudget: the sliding 60 s window TtsStream keeps for Deepgram's per-socket character and
// Flush budgets (time passed in explicitly, no clock).
#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "speech/tts_window_budget.hpp"

using namespace std::chrono_literals;
using voxline::Duration;
using voxline::SteadyTime;
using voxline::speech::detail::WindowBudget;

TEST_CASE("a window budget admits up to its limit, then says when the oldest units leave the window") {
  WindowBudget b(100, 60s);
  const SteadyTime t0{};
  CHECK(b.wait_for(60, t0) == Duration::zero());
  b.take(60, t0);
  CHECK(b.wait_for(40, t0 + 10s) == Duration::zero());
  b.take(40, t0 + 10s);
  CHECK(b.used(t0 + 10s) == 100);
  // 1 more unit fits once the first 60 left: at t0 + 60 s.
  CHECK(b.wait_for(1, t0 + 20s) == 40s);
  // 70 more need both entries gone: at t0 + 70 s.
  CHECK(b.wait_for(70, t0 + 20s) == 50s);
  CHECK(b.used(t0 + 60s) == 40);
  CHECK(b.wait_for(60, t0 + 60s) == Duration::zero());
  CHECK(b.used(t0 + 70s) == 0);
}

TEST_CASE("a window budget never lets more than its limit through in any window (unlike a token bucket)") {
  WindowBudget b(20, 60s);
  std::vector<int> taken_at;  // seconds
  for (int s = 0; s < 180; ++s) {
    const SteadyTime t = SteadyTime{} + std::chrono::seconds(s);
    if (b.wait_for(1, t) != Duration::zero()) continue;
    b.take(1, t);
    taken_at.push_back(s);
  }
  CHECK(taken_at.size() == 60);  // 20 per minute, three minutes
  for (int start = 0; start < 180; ++start) {
    int in_window = 0;
    for (int s : taken_at) in_window += s >= start && s < start + 60;
    CHECK(in_window <= 20);
  }
}

TEST_CASE("a window budget refuses an amount above its limit forever, and 0 means no limit") {
  WindowBudget b(10, 60s);
  CHECK(b.wait_for(11, SteadyTime{}) == Duration::max());
  WindowBudget none(0, 60s);
  CHECK(none.unlimited());
  none.take(1000000, SteadyTime{});
  CHECK(none.wait_for(1000000, SteadyTime{}) == Duration::zero());
}

TEST_CASE("future reservations queue later takers behind them") {
  WindowBudget b(10, 60s);
  const SteadyTime t0{};
  b.take(10, t0);
  const Duration w = b.wait_for(5, t0 + 1s);  // waits for the first 10 to leave: t0 + 60 s
  CHECK(w == 59s);
  b.take(5, t0 + 1s + w);
  CHECK(b.wait_for(6, t0 + 61s) == 59s);  // the reservation at t0 + 60 s holds 5 until t0 + 120 s
  CHECK(b.wait_for(5, t0 + 61s) == Duration::zero());
}
