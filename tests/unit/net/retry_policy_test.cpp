#include "voxline/net/retry_policy.hpp"

#include <algorithm>
#include <functional>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "voxline/core/metrics.hpp"

using namespace voxline;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {
RetryOptions opts() {
  RetryOptions o;
  o.max_attempts = 4;
  o.base_delay = milliseconds(500);
  o.max_delay = seconds(4);
  o.max_server_delay = seconds(60);
  return o;
}
}  // namespace

TEST_CASE("retry policy uses full jitter under an exponential ceiling capped at max_delay") {
  MetricsRegistry m;
  double r = 0.5;
  RetryPolicy p(
      opts(), [&] { return r; }, &m);
  CHECK(p.backoff_ceiling(1) == milliseconds(500));
  CHECK(p.backoff_ceiling(2) == milliseconds(1000));
  CHECK(p.backoff_ceiling(3) == milliseconds(2000));
  CHECK(p.backoff_ceiling(4) == milliseconds(4000));
  CHECK(p.backoff_ceiling(10) == milliseconds(4000));
  auto d = p.decide(unavailable("503"), 1, {});
  CHECK(d.retry);
  CHECK(d.delay == milliseconds(250));
  r = 0.0;
  CHECK(p.decide(timeout_error("t"), 2, {}).delay == Duration::zero());
  r = 0.999;
  auto d3 = p.decide(rate_limited("429"), 3, {});
  CHECK(d3.retry);
  CHECK(d3.delay < milliseconds(2000));
  CHECK(d3.delay > milliseconds(1990));
  CHECK(m.counter("voxline_net_retries_total", "").value() == 3);
}

TEST_CASE("retry policy stops after max_attempts") {
  RetryPolicy p(opts(), [] { return 0.1; });
  CHECK(p.decide(unavailable("x"), 3, {}).retry);
  auto d = p.decide(unavailable("x"), 4, {});
  CHECK(!d.retry);
  CHECK(d.reason.find("4 attempts") != std::string::npos);
}

TEST_CASE("retry policy never retries once the first byte reached the caller") {
  RetryPolicy p(opts(), [] { return 0.1; });
  RetryHints h;
  h.first_byte_delivered = true;
  auto d = p.decide(unavailable("dropped mid-stream"), 1, h);
  CHECK(!d.retry);
  CHECK(d.reason.find("already delivered") != std::string::npos);
}

TEST_CASE("retry policy does not retry permanent errors unless the server says x-should-retry") {
  RetryPolicy p(opts(), [] { return 0.1; });
  CHECK(!p.decide(unauthenticated("401"), 1, {}).retry);
  CHECK(!p.decide(invalid_argument("400"), 1, {}).retry);
  CHECK(!p.decide(cancelled("barge-in"), 1, {}).retry);
  RetryHints yes;
  yes.server_should_retry = true;
  CHECK(p.decide(invalid_argument("400"), 1, yes).retry);
  RetryHints no;
  no.server_should_retry = false;
  CHECK(!p.decide(unavailable("503"), 1, no).retry);
}

TEST_CASE(
    "retry policy retries CONFLICT (409) only with retry_conflict, and never past x-should-retry: false") {
  RetryPolicy plain(opts(), [] { return 0.1; });
  CHECK(!plain.decide(conflict("409"), 1, {}).retry);
  RetryOptions o = opts();
  o.retry_conflict = true;
  RetryPolicy openai(o, [] { return 0.1; });
  CHECK(openai.decide(conflict("409"), 1, {}).retry);
  CHECK(!openai.decide(invalid_argument("400"), 1, {}).retry);
  RetryHints no;
  no.server_should_retry = false;
  CHECK(!openai.decide(conflict("409"), 1, no).retry);
}

TEST_CASE("retry policy waits exactly the server delay and refuses one longer than max_server_delay") {
  RetryPolicy p(opts(), [] { return 0.9; });
  RetryHints h;
  h.server_delay = milliseconds(1810);
  auto d = p.decide(rate_limited("429"), 1, h);
  CHECK(d.retry);
  CHECK(d.delay == milliseconds(1810));
  h.server_delay = seconds(120);
  CHECK(!p.decide(rate_limited("429"), 1, h).retry);
}

TEST_CASE("retry policy does not schedule a retry that would pass the deadline") {
  ManualClock clock;
  RetryPolicy p(opts(), [] { return 0.9; });
  RetryHints h;
  h.server_delay = seconds(2);
  CHECK(!p.decide(unavailable("x"), 1, h, Deadline::after(seconds(1), clock)).retry);
  CHECK(p.decide(unavailable("x"), 1, h, Deadline::after(seconds(3), clock)).retry);
}

TEST_CASE("retry policy reports success as no retry") {
  CHECK(!RetryPolicy().decide(Status::Ok(), 1, {}).retry);
}

TEST_CASE("the default jitter draws from an engine of each thread, seeded apart, within the ceiling") {
  MetricsRegistry m;
  const RetryPolicy p(opts(), {}, &m);  // default RNG, shared by both threads
  constexpr int kDraws = 200;
  std::vector<Duration> a, b;
  auto draw = [&p](std::vector<Duration> &out) {
    for (int i = 0; i < kDraws; ++i) out.push_back(p.decide(unavailable("503"), 1, {}).delay);
  };
  std::thread ta(draw, std::ref(a));
  std::thread tb(draw, std::ref(b));
  ta.join();
  tb.join();
  REQUIRE(a.size() == kDraws);
  REQUIRE(b.size() == kDraws);
  for (const auto &seq : {a, b}) {
    for (Duration d : seq) {
      CHECK(d >= Duration::zero());
      CHECK(d <= milliseconds(500));
    }
  }
  // Engines seeded alike (a fixed seed per thread) would give both threads the same sequence.
  CHECK(a != b);
  // Jitter, not a constant: the draws of one thread spread over the range.
  CHECK(*std::min_element(a.begin(), a.end()) < milliseconds(100));
  CHECK(*std::max_element(a.begin(), a.end()) > milliseconds(400));
  CHECK(m.counter("voxline_net_retries_total", "").value() == 2 * kDraws);
}
