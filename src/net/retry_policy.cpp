#include "voxline/net/retry_policy.hpp"

#include <algorithm>
#include <random>

#include "voxline/core/metrics.hpp"

namespace voxline {

namespace {
// One engine per thread, seeded once when the thread first draws: jitter takes no lock that
// every retrying thread would share.
double default_random() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

std::string ms_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}
}  // namespace

bool is_transient(const Status &status) noexcept {
  switch (status.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout:
    case StatusCode::kRateLimited: return true;
    default: return false;
  }
}

RetryPolicy::RetryPolicy(RetryOptions options, Random random, MetricsRegistry *metrics)
    : options_(options),
      random_(random ? std::move(random) : Random(default_random)),
      retries_(&(metrics != nullptr ? *metrics : MetricsRegistry::global())
                    .counter("voxline_net_retries_total", "Retries scheduled by RetryPolicy")) {
  options_.max_attempts = std::max(options_.max_attempts, 1);
  if (options_.base_delay < Duration::zero()) options_.base_delay = Duration::zero();
  if (options_.max_delay < options_.base_delay) options_.max_delay = options_.base_delay;
}

Duration RetryPolicy::backoff_ceiling(int retry_number) const {
  Duration ceiling = options_.base_delay;
  for (int i = 1; i < retry_number && ceiling < options_.max_delay; ++i) ceiling *= 2;
  return std::min(ceiling, options_.max_delay);
}

RetryDecision RetryPolicy::decide(const Status &failure, int attempts_made, const RetryHints &hints,
                                  const Deadline &deadline) const {
  RetryDecision d;
  if (failure.ok()) {
    d.reason = "succeeded";
    return d;
  }
  if (hints.first_byte_delivered) {
    d.reason = "not retried: the stream already delivered data to the caller";
    return d;
  }
  const bool transient = hints.server_should_retry.value_or(
      is_transient(failure) || (options_.retry_conflict && failure.code() == StatusCode::kConflict));
  if (!transient) {
    d.reason = std::string("not retried: ") + status_code_name(failure.code()) + " is not transient";
    return d;
  }
  if (attempts_made >= options_.max_attempts) {
    d.reason = "not retried: " + std::to_string(attempts_made) + " attempts made (max " +
               std::to_string(options_.max_attempts) + ")";
    return d;
  }
  if (hints.server_delay && *hints.server_delay > options_.max_server_delay) {
    d.reason = "not retried: server asked to wait " + ms_text(*hints.server_delay) + ", more than " +
               ms_text(options_.max_server_delay);
    return d;
  }
  if (hints.server_delay) {
    d.delay = *hints.server_delay;
    d.reason = "retry after the server's delay of " + ms_text(d.delay);
  } else {
    double r = random_();
    r = std::clamp(r, 0.0, 1.0);
    const Duration ceiling = backoff_ceiling(attempts_made);
    d.delay = std::chrono::duration_cast<Duration>(ceiling * r);
    d.reason = "retry after " + ms_text(d.delay) + " (jittered, ceiling " + ms_text(ceiling) + ")";
  }
  if (!deadline.is_infinite() && d.delay >= deadline.remaining()) {
    d.reason = "not retried: waiting " + ms_text(d.delay) + " would pass the deadline";
    d.delay = Duration::zero();
    return d;
  }
  d.retry = true;
  retries_->inc();
  return d;
}

}  // namespace voxline
