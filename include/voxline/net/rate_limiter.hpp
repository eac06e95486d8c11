// File: rate_limiter.hpp
// RateLimiter: two token buckets, requests per minute and (LLM) tokens per minute, that every
// session of a process shares, so the process as a whole stays under a provider's limits.
// Each bucket holds up to one minute's allowance and refills continuously.
//
//   auto limiter = RateLimiter::shared("openai", {/*rpm*/ 500, /*tpm*/ 30000});
//   Status s = limiter->acquire(estimated_tokens, Deadline::after(std::chrono::seconds(2)));
//   if (s.code() == StatusCode::kRateLimited) ...   // would have waited past the deadline
//   limiter->adjust_tokens(actual - estimated);      // once usage is known
//
// Lifetime: shared() instances live for the whole process.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "voxline/core/clock.hpp"
#include "voxline/core/deadline.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"

namespace voxline {

class MetricsRegistry;

struct RateLimiterOptions {
  double requests_per_minute = 0;  // 0 = no request limit
  double tokens_per_minute = 0;    // 0 = no token limit
};

class VOXLINE_API RateLimiter {
 public:
  // Waits for `d` of the limiter's clock; the default sleeps the calling thread.
  using Sleeper = std::function<void(Duration d)>;

  explicit RateLimiter(RateLimiterOptions options, const Clock &clock = Clock::system(), Sleeper sleeper = {},
                       MetricsRegistry *metrics = nullptr);

  // Takes one request and `tokens` tokens if both are available now. Otherwise takes nothing,
  // returns RATE_LIMITED and stores the time until they would be in `*wait`. INVALID_ARGUMENT
  // when `tokens` is negative or more than one minute's allowance (it could never succeed).
  Status try_acquire(int64_t tokens, Duration *wait = nullptr);

  // Like try_acquire, but waits for the budget when it arrives before `deadline`. The budget is
  // reserved before waiting, so concurrent callers are served in arrival order. RATE_LIMITED
  // (without waiting) when the wait would pass the deadline.
  Status acquire(int64_t tokens, const Deadline &deadline);

  // Time until one request with `tokens` tokens could be taken (zero if now).
  Duration wait_time(int64_t tokens) const;

  // Corrects the token bucket once real usage is known (positive = used more than estimated).
  void adjust_tokens(int64_t delta);

  const RateLimiterOptions &options() const noexcept { return options_; }

  // The process-wide limiter registered under `name`, created with `options` on first use
  // (later calls return the same instance and ignore `options`).
  static std::shared_ptr<RateLimiter> shared(std::string_view name, const RateLimiterOptions &options);

 private:
  struct Bucket {
    double capacity = 0;  // 0 = unlimited
    double level = 0;     // may go negative while reservations wait
  };
  void refill_locked(SteadyTime now);
  Duration wait_locked(int64_t tokens) const;
  Status validate(int64_t tokens) const;

  RateLimiterOptions options_;
  const Clock &clock_;
  Sleeper sleeper_;
  MetricsRegistry *metrics_;
  mutable std::mutex mu_;
  Bucket requests_;
  Bucket tokens_;
  SteadyTime last_refill_;
};

}  // namespace voxline
