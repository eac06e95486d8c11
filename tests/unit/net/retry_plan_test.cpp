// RetryPlan: the bookkeeping of RetryDriver without sockets or timers. Attempts are described
// by the HttpCompletion the stream would report; a ManualClock makes Retry-After dates exact.
#include <doctest/doctest.h>

#include "voxline/core/clock.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/retry_driver.hpp"

using namespace voxline;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

RetryDriverOptions options(MetricsRegistry &m, int attempts = 3, Duration max_total = seconds(20)) {
  RetryDriverOptions o;
  o.policy = RetryPolicy(
      {attempts, milliseconds(100), milliseconds(800), seconds(60)}, [] { return 0.5; }, &m);
  o.max_total_delay = max_total;
  return o;
}

HttpCompletion failed(int http_status, HttpHeaders headers = {}) {
  HttpCompletion c;
  c.status = status_from_http(http_status, "x");
  c.phase = "response";
  c.http_status = http_status;
  c.headers = std::move(headers);
  return c;
}

}  // namespace

TEST_CASE("retry plan waits exactly what retry-after-ms asks for on a 429, then the jittered backoff") {
  MetricsRegistry m;
  ManualClock clock;
  RetryPlan plan(options(m), clock);
  auto d = plan.after_attempt(failed(429, {{"retry-after", "2"}, {"retry-after-ms", "1500"}}));
  CHECK(d.retry);
  CHECK(d.delay == milliseconds(1500));  // retry-after-ms wins over retry-after
  CHECK(plan.attempts() == 2);
  auto d2 = plan.after_attempt(failed(503));
  CHECK(d2.retry);
  CHECK(d2.delay == milliseconds(100));  // 0.5 of the second ceiling (200 ms)
  CHECK(plan.attempts() == 3);
  CHECK(plan.total_delay() == milliseconds(1600));
  CHECK(m.counter("voxline_net_retries_total", "").value() == 2);
}

TEST_CASE("retry plan honours an HTTP-date retry-after relative to the clock's wall time") {
  MetricsRegistry m;
  ManualClock clock(WallTime(std::chrono::seconds(1767225600)));  // Thu, 01 Jan 2026 00:00:00 GMT
  RetryPlan plan(options(m), clock);
  auto d = plan.after_attempt(failed(503, {{"Retry-After", "Thu, 01 Jan 2026 00:00:03 GMT"}}));
  CHECK(d.retry);
  CHECK(d.delay == seconds(3));
}

TEST_CASE("retry plan stops at max_attempts and names the reason") {
  MetricsRegistry m;
  RetryPlan plan(options(m, 2));
  CHECK(plan.after_attempt(failed(503)).retry);
  auto d = plan.after_attempt(failed(503));
  CHECK(!d.retry);
  CHECK(d.reason.find("2 attempts") != std::string::npos);
  CHECK(plan.attempts() == 2);
}

TEST_CASE("retry plan never retries after the first byte, a success, a cancel or a permanent error") {
  MetricsRegistry m;
  RetryPlan plan(options(m, 5));
  HttpCompletion mid = failed(200);
  mid.status = unavailable("connection dropped mid-stream");
  mid.first_byte_delivered = true;
  CHECK(!plan.after_attempt(mid).retry);
  HttpCompletion ok;
  ok.http_status = 200;
  CHECK(!plan.after_attempt(ok).retry);
  HttpCompletion cancel;
  cancel.status = cancelled("barge-in");
  CHECK(!plan.after_attempt(cancel).retry);
  CHECK(!plan.after_attempt(failed(401)).retry);
  CHECK(!plan.after_attempt(failed(400)).retry);
  CHECK(!plan.after_attempt(failed(503, {{"x-should-retry", "false"}})).retry);
  CHECK(plan.attempts() == 1);
  CHECK(m.counter("voxline_net_retries_total", "").value() == 0);
}

TEST_CASE("retry plan follows x-should-retry true even for a status it would not retry") {
  MetricsRegistry m;
  RetryPlan plan(options(m));
  CHECK(plan.after_attempt(failed(409, {{"x-should-retry", "true"}})).retry);
}

TEST_CASE("retry plan refuses a wait that would take the total past max_total_delay") {
  MetricsRegistry m;
  RetryPlan plan(options(m, 10, milliseconds(2500)));
  CHECK(plan.after_attempt(failed(429, {{"retry-after-ms", "1500"}})).retry);
  auto d = plan.after_attempt(failed(429, {{"retry-after-ms", "1500"}}));  // 3000 > 2500
  CHECK(!d.retry);
  CHECK(d.reason.find("deadline") != std::string::npos);
  CHECK(plan.total_delay() == milliseconds(1500));
  CHECK(plan.attempts() == 2);
  // A server delay beyond max_server_delay is not waited for either.
  RetryPlan plan2(options(m));
  CHECK(!plan2.after_attempt(failed(503, {{"retry-after", "120"}})).retry);
}

TEST_CASE("retry plan retries connection failures and timeouts before any response") {
  MetricsRegistry m;
  RetryPlan plan(options(m));
  HttpCompletion refused;
  refused.status = unavailable("cannot connect");
  refused.phase = "connect";
  CHECK(plan.after_attempt(refused).retry);
  HttpCompletion slow;
  slow.status = timeout_error("first byte");
  slow.phase = "first_byte";
  CHECK(plan.after_attempt(slow).retry);
}
