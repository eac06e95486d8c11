#include "voxline/net/rate_limiter.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "voxline/core/metrics.hpp"

using namespace voxline;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("rate limiter allows a minute's requests at once, then refuses with the wait until refill") {
  ManualClock clock;
  MetricsRegistry m;
  RateLimiter rl({60, 0}, clock, {}, &m);  // one request per second
  for (int i = 0; i < 60; ++i) REQUIRE(rl.try_acquire(0).ok());
  Duration wait{};
  auto s = rl.try_acquire(0, &wait);
  CHECK(s.code() == StatusCode::kRateLimited);
  CHECK(wait > milliseconds(999));
  CHECK(wait <= milliseconds(1001));
  clock.advance(milliseconds(500));
  CHECK(rl.try_acquire(0).code() == StatusCode::kRateLimited);
  clock.advance(milliseconds(501));
  CHECK(rl.try_acquire(0).ok());
  CHECK(m.counter("voxline_net_rate_limited_total", "").value() == 2);
}

TEST_CASE("rate limiter token bucket refuses a request whose tokens are not available and takes nothing") {
  ManualClock clock;
  RateLimiter rl({0, 6000}, clock, {}, nullptr);  // 100 tokens per second
  REQUIRE(rl.try_acquire(5000).ok());
  Duration wait{};
  CHECK(rl.try_acquire(1500, &wait).code() == StatusCode::kRateLimited);
  CHECK(wait > milliseconds(4990));
  CHECK(wait <= milliseconds(5001));
  CHECK(rl.try_acquire(1000).ok());  // the refused request took nothing
  CHECK(rl.wait_time(1) > Duration::zero());
  clock.advance(seconds(60));
  CHECK(rl.wait_time(6000) == Duration::zero());
}

TEST_CASE("rate limiter refuses token counts that can never fit with INVALID_ARGUMENT") {
  ManualClock clock;
  RateLimiter rl({0, 1000}, clock, {}, nullptr);
  CHECK(rl.try_acquire(1001).code() == StatusCode::kInvalidArgument);
  CHECK(rl.try_acquire(-1).code() == StatusCode::kInvalidArgument);
  CHECK(rl.acquire(5000, Deadline::infinite(clock)).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("rate limiter acquire waits for budget within the deadline and refuses beyond it without waiting") {
  ManualClock clock;
  std::vector<Duration> sleeps;
  RateLimiter rl(
      {60, 0}, clock,
      [&](Duration d) {
        sleeps.push_back(d);
        clock.advance(d);
      },
      nullptr);
  for (int i = 0; i < 60; ++i) REQUIRE(rl.acquire(0, Deadline::after(seconds(1), clock)).ok());
  CHECK(sleeps.empty());
  CHECK(rl.acquire(0, Deadline::after(milliseconds(200), clock)).code() == StatusCode::kRateLimited);
  CHECK(sleeps.empty());
  CHECK(rl.acquire(0, Deadline::after(seconds(2), clock)).ok());
  REQUIRE(sleeps.size() == 1);
  CHECK(sleeps[0] > milliseconds(999));
}

TEST_CASE("rate limiter reservations queue concurrent callers in order") {
  ManualClock clock;
  std::vector<Duration> sleeps;
  RateLimiter rl(
      {60, 0}, clock, [&](Duration d) { sleeps.push_back(d); }, nullptr);  // clock not moved
  for (int i = 0; i < 60; ++i) REQUIRE(rl.try_acquire(0).ok());
  REQUIRE(rl.acquire(0, Deadline::after(seconds(10), clock)).ok());
  REQUIRE(rl.acquire(0, Deadline::after(seconds(10), clock)).ok());
  REQUIRE(sleeps.size() == 2);
  CHECK(sleeps[1] > sleeps[0] + milliseconds(990));  // the second waits behind the first
}

TEST_CASE("rate limiter adjust_tokens charges real usage and never overfills") {
  ManualClock clock;
  RateLimiter rl({0, 600}, clock, {}, nullptr);
  REQUIRE(rl.try_acquire(100).ok());
  rl.adjust_tokens(400);  // used 500 in fact
  CHECK(rl.try_acquire(101).code() == StatusCode::kRateLimited);
  CHECK(rl.try_acquire(100).ok());
  rl.adjust_tokens(-10000);
  CHECK(rl.try_acquire(600).ok());
  CHECK(rl.try_acquire(1).code() == StatusCode::kRateLimited);
}

TEST_CASE("rate limiter shared by name returns one instance that many threads draw from exactly") {
  auto a = RateLimiter::shared("unit-test-limiter", {1000, 0});
  auto b = RateLimiter::shared("unit-test-limiter", {5, 0});
  CHECK(a.get() == b.get());
  CHECK(b->options().requests_per_minute == 1000);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 400; ++i)
        if (a->try_acquire(0).ok()) granted.fetch_add(1);
    });
  for (auto &t : threads) t.join();
  // 1000 per minute: at most the initial 1000 plus what refilled during the test (a few).
  CHECK(granted.load() >= 1000);
  CHECK(granted.load() <= 1010);
}

TEST_CASE("reserve grants available budget at once without blocking") {
  ManualClock clock;
  RateLimiter rl({60, 0}, clock, {}, nullptr);
  auto r = rl.reserve(0, Deadline::after(seconds(1), clock));
  REQUIRE(r.ok());
  CHECK(r->delay() == Duration::zero());
  CHECK(r->ready_at() == clock.now());
}

TEST_CASE("reserve past the budget returns when to proceed, and later reservations queue behind it") {
  ManualClock clock;
  MetricsRegistry m;
  RateLimiter rl({60, 0}, clock, {}, &m);  // one request per second
  for (int i = 0; i < 60; ++i) REQUIRE(rl.try_acquire(0).ok());
  auto first = rl.reserve(0, Deadline::after(seconds(10), clock));
  auto second = rl.reserve(0, Deadline::after(seconds(10), clock));
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->delay() > milliseconds(999));
  CHECK(first->delay() <= milliseconds(1001));
  CHECK(second->delay() > milliseconds(1999));
  CHECK(second->ready_at() == clock.now() + second->delay());
  CHECK(m.counter("voxline_net_rate_limit_waits_total", "").value() == 2);
  // The clock never moved: reserve() did not sleep.
}

TEST_CASE("reserve refuses with RATE_LIMITED and takes nothing when the wait would pass the deadline") {
  ManualClock clock;
  MetricsRegistry m;
  RateLimiter rl({60, 0}, clock, {}, &m);
  for (int i = 0; i < 60; ++i) REQUIRE(rl.try_acquire(0).ok());
  auto r = rl.reserve(0, Deadline::after(milliseconds(500), clock));
  CHECK(r.status().code() == StatusCode::kRateLimited);
  CHECK(m.counter("voxline_net_rate_limited_total", "").value() == 1);
  auto next = rl.reserve(0, Deadline::after(seconds(5), clock));
  REQUIRE(next.ok());
  CHECK(next->delay() <= milliseconds(1001));  // the refused call did not push it back
}

TEST_CASE("cancelling a reservation refunds its request and tokens once") {
  ManualClock clock;
  RateLimiter rl({60, 600}, clock, {}, nullptr);
  REQUIRE(rl.try_acquire(500).ok());
  auto r = rl.reserve(100, Deadline::infinite(clock));
  REQUIRE(r.ok());
  CHECK(r->delay() == Duration::zero());
  CHECK(r->tokens() == 100);
  CHECK(rl.wait_time(1) > Duration::zero());  // the tokens are gone
  CHECK(r->cancel());
  CHECK(!r->cancel());  // refunds once
  CHECK(rl.wait_time(100) == Duration::zero());
  CHECK(rl.try_acquire(100).ok());
  RateLimiter::Reservation moved;
  auto again = rl.reserve(0, Deadline::infinite(clock));
  REQUIRE(again.ok());
  moved = std::move(*again);
  CHECK(!again->cancel());  // the moved-from reservation holds nothing
  CHECK(moved.cancel());
  CHECK(!RateLimiter::Reservation().cancel());
}

TEST_CASE("a cancelled waiting reservation lets the next caller proceed sooner") {
  ManualClock clock;
  RateLimiter rl({60, 0}, clock, {}, nullptr);
  for (int i = 0; i < 60; ++i) REQUIRE(rl.try_acquire(0).ok());
  auto waiting = rl.reserve(0, Deadline::infinite(clock));
  REQUIRE(waiting.ok());
  CHECK(waiting->delay() > milliseconds(999));
  REQUIRE(waiting->cancel());  // barge-in before its turn
  auto next = rl.reserve(0, Deadline::infinite(clock));
  REQUIRE(next.ok());
  CHECK(next->delay() <= milliseconds(1001));  // not 2 s: the cancelled slot was given back
}

TEST_CASE("a refund never fills a bucket beyond its burst") {
  ManualClock clock;
  RateLimiter rl({600, 0, 5}, clock, {}, nullptr);
  auto r = rl.reserve(0, Deadline::infinite(clock));
  REQUIRE(r.ok());
  clock.advance(seconds(10));  // refilled to the burst of 5 meanwhile
  REQUIRE(r->cancel());
  for (int i = 0; i < 5; ++i) CHECK(rl.try_acquire(0).ok());
  CHECK(rl.try_acquire(0).code() == StatusCode::kRateLimited);
}

TEST_CASE("a reservation that outlives its limiter cancels to no effect") {
  ManualClock clock;
  RateLimiter::Reservation r;
  {
    RateLimiter rl({60, 0}, clock, {}, nullptr);
    auto got = rl.reserve(0, Deadline::infinite(clock));
    REQUIRE(got.ok());
    r = std::move(*got);
  }
  CHECK(!r.cancel());
}

TEST_CASE("a request burst caps what a full bucket grants at once and spreads the rest evenly") {
  ManualClock clock;
  RateLimiter rl({600, 0, 10}, clock, {}, nullptr);  // 10 per second, at most 10 at once
  for (int i = 0; i < 10; ++i) REQUIRE(rl.try_acquire(0).ok());
  Duration wait{};
  CHECK(rl.try_acquire(0, &wait).code() == StatusCode::kRateLimited);
  CHECK(wait > milliseconds(99));
  CHECK(wait <= milliseconds(101));
  clock.advance(seconds(60));  // a minute idle still refills only up to the burst
  int granted = 0;
  while (rl.try_acquire(0).ok()) ++granted;
  CHECK(granted == 10);
}

TEST_CASE("a token burst bounds a single request, which gets INVALID_ARGUMENT beyond it") {
  ManualClock clock;
  RateLimiter rl({0, 60000, 0, 2000}, clock, {}, nullptr);
  CHECK(rl.reserve(2001, Deadline::infinite(clock)).status().code() == StatusCode::kInvalidArgument);
  CHECK(rl.reserve(-1, Deadline::infinite(clock)).status().code() == StatusCode::kInvalidArgument);
  auto r = rl.reserve(2000, Deadline::infinite(clock));
  REQUIRE(r.ok());
  CHECK(r->delay() == Duration::zero());
  auto next = rl.reserve(1000, Deadline::infinite(clock));
  REQUIRE(next.ok());
  CHECK(next->delay() > milliseconds(999));  // 1000 tokens at 1000 per second
  CHECK(next->delay() <= milliseconds(1001));
}

TEST_CASE("limiters from one registry are shared by name and independent of another registry's") {
  ManualClock clock;
  MetricsRegistry m;
  RateLimiterRegistry a(clock, &m), b(clock, &m);
  auto a1 = a.get("openai", {60, 0});
  auto a2 = a.get("openai", {1, 0});
  auto b1 = b.get("openai", {60, 0});
  CHECK(a1.get() == a2.get());
  CHECK(a2->options().requests_per_minute == 60);
  CHECK(a1.get() != b1.get());
  CHECK(a.find("openai").get() == a1.get());
  CHECK(!a.find("deepgram"));
  CHECK(a.size() == 1);
  for (int i = 0; i < 60; ++i) REQUIRE(a1->try_acquire(0).ok());
  CHECK(a1->try_acquire(0).code() == StatusCode::kRateLimited);
  CHECK(b1->try_acquire(0).ok());  // another Runtime's budget is untouched
  auto process_wide = RateLimiter::shared("unit-test-registry", {5, 0});
  CHECK(RateLimiterRegistry::process().find("unit-test-registry").get() == process_wide.get());
}
