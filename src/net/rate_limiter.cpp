#include "voxline/net/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <thread>

#include "voxline/core/metrics.hpp"

namespace voxline {

namespace {
// Time for a bucket refilling `per_minute` per minute to gain `missing` units.
Duration refill_time(double missing, double per_minute) {
  if (missing <= 0 || per_minute <= 0) return Duration::zero();
  const double seconds = missing * 60.0 / per_minute;
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds)) + Duration(1);
}
}  // namespace

RateLimiter::RateLimiter(RateLimiterOptions options, const Clock &clock, Sleeper sleeper,
                         MetricsRegistry *metrics)
    : options_(options),
      clock_(clock),
      sleeper_(sleeper ? std::move(sleeper) : Sleeper([](Duration d) { std::this_thread::sleep_for(d); })),
      metrics_(metrics != nullptr ? metrics : &MetricsRegistry::global()),
      last_refill_(clock.now()) {
  requests_.capacity = std::max(0.0, options.requests_per_minute);
  tokens_.capacity = std::max(0.0, options.tokens_per_minute);
  requests_.level = requests_.capacity;
  tokens_.level = tokens_.capacity;
}

void RateLimiter::refill_locked(SteadyTime now) {
  if (now <= last_refill_) return;
  const double minutes = std::chrono::duration<double>(now - last_refill_).count() / 60.0;
  last_refill_ = now;
  for (Bucket *b : {&requests_, &tokens_})
    if (b->capacity > 0) b->level = std::min(b->capacity, b->level + minutes * b->capacity);
}

Duration RateLimiter::wait_locked(int64_t tokens) const {
  Duration wait = Duration::zero();
  if (requests_.capacity > 0) wait = std::max(wait, refill_time(1.0 - requests_.level, requests_.capacity));
  if (tokens_.capacity > 0 && tokens > 0)
    wait = std::max(wait, refill_time(static_cast<double>(tokens) - tokens_.level, tokens_.capacity));
  return wait;
}

Status RateLimiter::validate(int64_t tokens) const {
  if (tokens < 0) return invalid_argument("token count must not be negative");
  if (tokens_.capacity > 0 && static_cast<double>(tokens) > tokens_.capacity)
    return invalid_argument("request needs " + std::to_string(tokens) + " tokens, more than the " +
                            std::to_string(static_cast<int64_t>(tokens_.capacity)) + " per minute limit");
  return Status::Ok();
}

Duration RateLimiter::wait_time(int64_t tokens) const {
  std::lock_guard<std::mutex> lock(mu_);
  const_cast<RateLimiter *>(this)->refill_locked(clock_.now());
  return wait_locked(tokens);
}

Status RateLimiter::try_acquire(int64_t tokens, Duration *wait) {
  Duration needed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    VOXLINE_RETURN_IF_ERROR(validate(tokens));
    refill_locked(clock_.now());
    needed = wait_locked(tokens);
    if (needed == Duration::zero()) {
      if (requests_.capacity > 0) requests_.level -= 1.0;
      if (tokens_.capacity > 0) tokens_.level -= static_cast<double>(tokens);
      if (wait != nullptr) *wait = Duration::zero();
      return Status::Ok();
    }
  }
  if (wait != nullptr) *wait = needed;
  metrics_->counter("voxline_net_rate_limited_total", "Local rate limiter refusals").inc();
  return rate_limited("local rate limit: retry in " +
                      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(needed).count()) +
                      " ms");
}

Status RateLimiter::acquire(int64_t tokens, const Deadline &deadline) {
  Duration needed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    VOXLINE_RETURN_IF_ERROR(validate(tokens));
    refill_locked(clock_.now());
    needed = wait_locked(tokens);
    if (needed > Duration::zero() && !deadline.is_infinite() && needed > deadline.remaining()) {
      metrics_->counter("voxline_net_rate_limited_total", "Local rate limiter refusals").inc();
      return rate_limited(
          "local rate limit: budget free in " +
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(needed).count()) +
          " ms, after the deadline");
    }
    // Reserve now (levels may go negative) so later callers queue behind this one.
    if (requests_.capacity > 0) requests_.level -= 1.0;
    if (tokens_.capacity > 0) tokens_.level -= static_cast<double>(tokens);
  }
  if (needed > Duration::zero()) {
    metrics_->counter("voxline_net_rate_limit_waits_total", "Acquisitions that waited for budget").inc();
    sleeper_(needed);
  }
  return Status::Ok();
}

void RateLimiter::adjust_tokens(int64_t delta) {
  std::lock_guard<std::mutex> lock(mu_);
  refill_locked(clock_.now());
  if (tokens_.capacity > 0)
    tokens_.level = std::min(tokens_.capacity, tokens_.level - static_cast<double>(delta));
}

std::shared_ptr<RateLimiter> RateLimiter::shared(std::string_view name, const RateLimiterOptions &options) {
  static std::mutex mu;
  static auto *registry = new std::map<std::string, std::shared_ptr<RateLimiter>, std::less<>>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = registry->find(name);
  if (it != registry->end()) return it->second;
  auto limiter = std::make_shared<RateLimiter>(options);
  registry->emplace(std::string(name), limiter);
  return limiter;
}

}  // namespace voxline
