// File: retry_policy.hpp
// RetryPolicy: decides whether and when to retry a failed request. Exponential backoff with
// full jitter (delay = random in [0, min(max_delay, base * 2^retries))), the server's
// Retry-After / retry-after-ms honoured when it is within bounds, a cap on attempts, and never a
// retry once the first byte of a stream reached the caller (the user already heard part of it).
//
//   RetryPolicy policy({/*max_attempts*/ 3});
//   for (int attempt = 1;; ++attempt) {
//     Status s = try_once(&hints);                              // fills hints.first_byte_delivered...
//     RetryDecision d = policy.decide(s, attempt, hints, deadline);
//     if (!d.retry) return s;
//     sleep_for(d.delay);
//   }
//
// Thread-safety: decide() is const and thread-safe when the injected RNG is. The default RNG
// is a per-thread engine seeded once per thread from std::random_device (no shared lock).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "voxline/core/clock.hpp"
#include "voxline/core/deadline.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"
#include "voxline/net/http_status.hpp"

namespace voxline {

class Counter;
class MetricsRegistry;

struct RetryOptions {
  int max_attempts = 3;  // attempts in total, including the first
  Duration base_delay = std::chrono::milliseconds(500);
  Duration max_delay = std::chrono::seconds(8);
  Duration max_server_delay = std::chrono::seconds(60);  // a longer Retry-After is not waited for
  // CONFLICT (HTTP 409) is transient too: OpenAI answers it for a lock timeout, and its SDKs retry it.
  bool retry_conflict = false;
};

// What the caller knows about the failed attempt.
struct RetryHints {
  bool first_byte_delivered = false;        // some response data already reached the consumer
  std::optional<Duration> server_delay;     // from retry_after_from_headers()
  std::optional<bool> server_should_retry;  // an explicit "x-should-retry" header
};

struct RetryDecision {
  bool retry = false;
  Duration delay = Duration::zero();
  std::string reason;  // why (not) retried, for logs
};

class VOXLINE_API RetryPolicy {
 public:
  // Uniform random number in [0, 1).
  using Random = std::function<double()>;

  // `metrics` nullptr means MetricsRegistry::global(); counts voxline_net_retries_total.
  explicit RetryPolicy(RetryOptions options = {}, Random random = {}, MetricsRegistry *metrics = nullptr);

  // `attempts_made` counts attempts so far (1 after the first failure). Retries only transient
  // failures (UNAVAILABLE, TIMEOUT, RATE_LIMITED; CONFLICT with retry_conflict) unless the server
  // said x-should-retry; never
  // after the first byte, past max_attempts, or when the delay would pass `deadline`.
  RetryDecision decide(const Status &failure, int attempts_made, const RetryHints &hints,
                       const Deadline &deadline = Deadline::infinite()) const;

  // The backoff ceiling before jitter for the n-th retry (n >= 1).
  Duration backoff_ceiling(int retry_number) const;

  const RetryOptions &options() const noexcept { return options_; }

 private:
  RetryOptions options_;
  Random random_;
  Counter *retries_;  // resolved once: decide() never looks a metric up by name
};

// True for the codes a retry may fix (UNAVAILABLE, TIMEOUT, RATE_LIMITED).
VOXLINE_API bool is_transient(const Status &status) noexcept;

}  // namespace voxline
