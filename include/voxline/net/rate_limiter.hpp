// File: rate_limiter.hpp
// RateLimiter: two token buckets, requests per minute and (LLM) tokens per minute, so every
// session drawing from one limiter stays under a provider's limits together. Each bucket refills
// continuously at its per-minute rate and holds at most its burst (default: one minute's
// allowance). RateLimiterRegistry hands out limiters by name; a Runtime should own one, so two
// Runtimes (or two tenants) do not share budgets by accident.
//
//   RateLimiterRegistry limits;                                          // e.g. owned by the Runtime
//   auto openai = limits.get("openai", {/*rpm*/ 500, /*tpm*/ 30000, /*request_burst*/ 20});
//   // On a loop thread: never blocks.
//   Result<RateLimiter::Reservation> r = openai->reserve(estimated_tokens, Deadline::after(2s));
//   if (!r.ok()) ...                                     // RATE_LIMITED: not within the deadline
//   slot->schedule(r->delay(), [..., res = std::move(*r)]() mutable { start_request(); });
//   res.cancel();                                        // barge-in before sending: refund
//   openai->adjust_tokens(actual - estimated);           // once usage is known
//   // On a thread that may block (tools, tests):
//   Status s = openai->acquire(estimated_tokens, Deadline::after(2s));
//
// Reservations take their budget at once (levels may go below zero), so callers are served in
// the order they reserved and a later reservation waits behind an earlier one.
// Lifetime: a limiter from a registry lives while the registry or any holder of its shared_ptr
// does; shared() limiters live for the whole process. A Reservation may outlive its limiter
// (cancel() then does nothing).
// Thread-safety: every method of RateLimiter, Reservation and RateLimiterRegistry may be called
// from any thread; only acquire() blocks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "voxline/core/clock.hpp"
#include "voxline/core/deadline.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"
#include "voxline/core/thread_annotations.hpp"

namespace voxline {

class Counter;
class MetricsRegistry;

struct RateLimiterOptions {
  double requests_per_minute = 0;  // 0 = no request limit
  double tokens_per_minute = 0;    // 0 = no token limit
  // Most requests / tokens that may be taken at once from a full bucket (the bucket's size).
  // 0 = one minute's allowance. A small burst spreads a minute's budget evenly.
  double request_burst = 0;
  double token_burst = 0;
};

class VOXLINE_API RateLimiter {
 private:
  struct Buckets;  // shared with reservations, so one may outlive the limiter

 public:
  // Waits for `d` of the limiter's clock; the default sleeps the calling thread.
  using Sleeper = std::function<void(Duration d)>;

  // Budget taken by reserve(): proceed at ready_at(); cancel() gives it back if you will not.
  // Move-only, so a refund can happen once.
  class VOXLINE_API Reservation {
   public:
    Reservation() = default;  // empty: ready now, cancel() does nothing
    Reservation(Reservation &&other) noexcept;
    Reservation &operator=(Reservation &&other) noexcept;
    Reservation(const Reservation &) = delete;
    Reservation &operator=(const Reservation &) = delete;

    // When the caller may proceed, on the limiter's clock.
    SteadyTime ready_at() const noexcept { return ready_at_; }
    // Time from the reserve() call until ready_at() (zero when it was ready at once).
    Duration delay() const noexcept { return delay_; }
    int64_t tokens() const noexcept { return tokens_; }
    // Returns the request and tokens to the limiter (never above a bucket's size), for an action
    // that will not happen: a barge-in before the request went out, a request that failed to
    // start. True the first time; false after that, for an empty reservation, or when the limiter
    // is gone.
    bool cancel() noexcept;

   private:
    friend class RateLimiter;
    Reservation(std::weak_ptr<Buckets> limiter, SteadyTime ready_at, Duration delay, int64_t tokens,
                bool request)
        : limiter_(std::move(limiter)),
          ready_at_(ready_at),
          delay_(delay),
          tokens_(tokens),
          request_(request) {}
    std::weak_ptr<Buckets> limiter_;
    SteadyTime ready_at_{};
    Duration delay_{};
    int64_t tokens_ = 0;
    bool request_ = false;  // holds a request from the request bucket
  };

  explicit RateLimiter(RateLimiterOptions options, const Clock &clock = Clock::system(), Sleeper sleeper = {},
                       MetricsRegistry *metrics = nullptr);
  ~RateLimiter();
  RateLimiter(const RateLimiter &) = delete;
  RateLimiter &operator=(const RateLimiter &) = delete;

  // Reserves one request and `tokens` tokens without blocking and says when they may be used.
  // RATE_LIMITED (taking nothing) when that time is past `deadline`; INVALID_ARGUMENT when
  // `tokens` is negative or larger than the token burst (it could never be granted).
  Result<Reservation> reserve(int64_t tokens, const Deadline &deadline);

  // Takes one request and `tokens` tokens if both are available now. Otherwise takes nothing,
  // returns RATE_LIMITED and stores the time until they would be in `*wait`. INVALID_ARGUMENT as
  // for reserve().
  Status try_acquire(int64_t tokens, Duration *wait = nullptr);

  // reserve(), then waits with the sleeper until the reservation is ready. Blocks: not for loop
  // threads. RATE_LIMITED (without waiting) when the wait would pass the deadline.
  Status acquire(int64_t tokens, const Deadline &deadline);

  // Time until one request with `tokens` tokens could be taken (zero if now).
  Duration wait_time(int64_t tokens) const;

  // Corrects the token bucket once real usage is known (positive = used more than estimated).
  void adjust_tokens(int64_t delta);

  const RateLimiterOptions &options() const noexcept { return options_; }

  // The process-wide limiter registered under `name` (RateLimiterRegistry::process()), created
  // with `options` on first use; later calls return the same instance and ignore `options`.
  // Prefer a Runtime's registry, which is scoped to that Runtime.
  static std::shared_ptr<RateLimiter> shared(std::string_view name, const RateLimiterOptions &options);

 private:
  RateLimiterOptions options_;
  Sleeper sleeper_;
  Counter &refused_;
  Counter &waits_;
  std::shared_ptr<Buckets> buckets_;
};

// Named limiters with one owner's lifetime (a Runtime, a tenant, a test).
class VOXLINE_API RateLimiterRegistry {
 public:
  explicit RateLimiterRegistry(const Clock &clock = Clock::system(), MetricsRegistry *metrics = nullptr);
  RateLimiterRegistry(const RateLimiterRegistry &) = delete;
  RateLimiterRegistry &operator=(const RateLimiterRegistry &) = delete;

  // The limiter registered under `name`, created with `options` on first use; later calls return
  // the same instance and ignore `options`.
  std::shared_ptr<RateLimiter> get(std::string_view name, const RateLimiterOptions &options);
  // The limiter registered under `name`, or null.
  std::shared_ptr<RateLimiter> find(std::string_view name) const;
  size_t size() const;

  // The registry behind RateLimiter::shared(). Lives for the whole process.
  static RateLimiterRegistry &process();

 private:
  const Clock &clock_;
  MetricsRegistry *metrics_;
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<RateLimiter>, std::less<>> limiters_ VOXLINE_GUARDED_BY(mu_);
};

}  // namespace voxline
