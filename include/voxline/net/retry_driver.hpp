// File: retry_driver.hpp
// RetryDriver: one logical HTTP request retried asynchronously on a slot's timers. Each attempt
// is an HttpStream started on the same Slot. When an attempt fails before its first byte and
// RetryPolicy allows another (a transient failure or x-should-retry: true; Retry-After and
// retry-after-ms honoured; attempts capped), the next attempt is scheduled with Slot::schedule()
// after the policy's delay: no thread sleeps. The waits of one request together are capped by
// `max_total_delay`. Once a byte of a 2xx body reached the owner it is never retried.
// RetryPlan is the I/O-free bookkeeping behind it (unit-testable with a ManualClock).
//
//   RetryDriverOptions o;
//   o.policy = RetryPolicy({/*max_attempts*/ 3}, {}, &runtime->metrics());
//   o.max_total_delay = std::chrono::seconds(10);
//   auto llm = RetryDriver::start(slot, std::move(request), handler, o);  // Result<shared_ptr<HttpStream>>
//   (*llm)->cancel();                        // any thread: ends the attempt or the pending wait
//
// Events: the owner's handler sees what one HttpStream delivers: on_response at most once (for
// the attempt whose outcome it gets: held back until that attempt's first body byte or its end,
// so a retried attempt shows nothing), on_data, then exactly one on_complete with the final
// outcome; HttpCompletion::attempts counts the requests made. All on the slot's thread, in
// order, never inside start() or cancel().
// Lifetime: the returned handle and the handler are reference counted; the driver drops the
// handler after on_complete. At Runtime shutdown a running attempt or a pending wait ends with
// CANCELLED, delivered on the slot thread.
// Thread-safety: start() and every HttpStream method from any thread.
#pragma once

#include <memory>

#include "voxline/core/clock.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/net/http_stream.hpp"
#include "voxline/net/retry_policy.hpp"

namespace voxline {

class Logger;
class Slot;

struct RetryDriverOptions {
  RetryPolicy policy = RetryPolicy();
  // The sum of all waits between attempts stays below this; a retry that would pass it is not made.
  Duration max_total_delay = std::chrono::seconds(20);
  Logger *logger = nullptr;  // where failed attempts are logged (debug); nullptr = default_logger()
};

// What to do after each failed attempt of one request, without I/O.
class VOXLINE_API RetryPlan {
 public:
  explicit RetryPlan(RetryDriverOptions options, const Clock &clock = Clock::system());

  // The attempt numbered attempts() ended with `completion`: retry (after decision.delay) or
  // stop. Never retries a success, a cancellation, or a stream that delivered its first byte.
  RetryDecision after_attempt(const HttpCompletion &completion);

  int attempts() const noexcept { return attempts_; }             // made so far (1 before any retry)
  Duration total_delay() const noexcept { return total_delay_; }  // waits planned so far

 private:
  RetryDriverOptions options_;
  const Clock &clock_;
  int attempts_ = 1;
  Duration total_delay_ = Duration::zero();
};

class VOXLINE_API RetryDriver {
 public:
  // Starts the first attempt on `slot`. Errors of that first start_http (INVALID_ARGUMENT,
  // QUEUE_FULL, FAILED_PRECONDITION) are returned here; every later outcome, including a later
  // attempt that cannot start, arrives through `handler`.
  static Result<std::shared_ptr<HttpStream>> start(std::shared_ptr<Slot> slot, HttpRequest request,
                                                   std::shared_ptr<HttpStreamHandler> handler,
                                                   RetryDriverOptions options = {});
};

}  // namespace voxline
