#include "voxline/net/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
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

std::string ms_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}
}  // namespace

struct RateLimiter::Buckets {
  struct Bucket {
    double rate = 0;      // units per minute; 0 = unlimited
    double capacity = 0;  // burst: the most the bucket holds
    double level = 0;     // may go negative while reservations wait
  };

  Buckets(const RateLimiterOptions &o, const Clock &c) : clock(c), last_refill(c.now()) {
    requests.rate = std::max(0.0, o.requests_per_minute);
    tokens.rate = std::max(0.0, o.tokens_per_minute);
    requests.capacity = o.request_burst > 0 ? o.request_burst : requests.rate;
    tokens.capacity = o.token_burst > 0 ? o.token_burst : tokens.rate;
    requests.level = requests.capacity;
    tokens.level = tokens.capacity;
  }

  void refill(SteadyTime now) VOXLINE_REQUIRES(mu) {
    if (now <= last_refill) return;
    const double minutes = std::chrono::duration<double>(now - last_refill).count() / 60.0;
    last_refill = now;
    for (Bucket *b : {&requests, &tokens})
      if (b->rate > 0) b->level = std::min(b->capacity, b->level + minutes * b->rate);
  }

  Duration wait(int64_t n) const VOXLINE_REQUIRES(mu) {
    Duration w = Duration::zero();
    if (requests.rate > 0) w = std::max(w, refill_time(1.0 - requests.level, requests.rate));
    if (tokens.rate > 0 && n > 0)
      w = std::max(w, refill_time(static_cast<double>(n) - tokens.level, tokens.rate));
    return w;
  }

  void take(int64_t n) VOXLINE_REQUIRES(mu) {
    if (requests.rate > 0) requests.level -= 1.0;
    if (tokens.rate > 0) tokens.level -= static_cast<double>(n);
  }

  Status validate(int64_t n) const VOXLINE_REQUIRES(mu) {
    if (n < 0) return invalid_argument("token count must not be negative");
    if (tokens.rate > 0 && static_cast<double>(n) > tokens.capacity)
      return invalid_argument("request needs " + std::to_string(n) +
                              " tokens, more than the token burst of " +
                              std::to_string(static_cast<int64_t>(tokens.capacity)));
    return Status::Ok();
  }

  const Clock &clock;
  Mutex mu;
  Bucket requests VOXLINE_GUARDED_BY(mu);
  Bucket tokens VOXLINE_GUARDED_BY(mu);
  SteadyTime last_refill VOXLINE_GUARDED_BY(mu);
};

RateLimiter::Reservation::Reservation(Reservation &&other) noexcept
    : limiter_(std::move(other.limiter_)),
      ready_at_(other.ready_at_),
      delay_(other.delay_),
      tokens_(other.tokens_),
      request_(other.request_) {
  other.limiter_.reset();
}

RateLimiter::Reservation &RateLimiter::Reservation::operator=(Reservation &&other) noexcept {
  if (this != &other) {
    limiter_ = std::move(other.limiter_);
    other.limiter_.reset();
    ready_at_ = other.ready_at_;
    delay_ = other.delay_;
    tokens_ = other.tokens_;
    request_ = other.request_;
  }
  return *this;
}

bool RateLimiter::Reservation::cancel() noexcept {
  std::shared_ptr<Buckets> b = limiter_.lock();
  limiter_.reset();  // a reservation refunds once
  if (b == nullptr) return false;
  MutexLock lock(b->mu);
  b->refill(b->clock.now());
  if (request_ && b->requests.rate > 0)
    b->requests.level = std::min(b->requests.capacity, b->requests.level + 1.0);
  if (b->tokens.rate > 0)
    b->tokens.level = std::min(b->tokens.capacity, b->tokens.level + static_cast<double>(tokens_));
  return true;
}

RateLimiter::RateLimiter(RateLimiterOptions options, const Clock &clock, Sleeper sleeper,
                         MetricsRegistry *metrics)
    : options_(options),
      sleeper_(sleeper ? std::move(sleeper) : Sleeper([](Duration d) { std::this_thread::sleep_for(d); })),
      refused_((metrics != nullptr ? *metrics : MetricsRegistry::global())
                   .counter("voxline_net_rate_limited_total", "Local rate limiter refusals")),
      waits_((metrics != nullptr ? *metrics : MetricsRegistry::global())
                 .counter("voxline_net_rate_limit_waits_total", "Reservations that had to wait for budget")),
      buckets_(std::make_shared<Buckets>(options, clock)) {}

RateLimiter::~RateLimiter() = default;

Result<RateLimiter::Reservation> RateLimiter::reserve(int64_t tokens, const Deadline &deadline) {
  Duration needed;
  SteadyTime now;
  bool granted;
  {
    MutexLock lock(buckets_->mu);
    VOXLINE_RETURN_IF_ERROR(buckets_->validate(tokens));
    now = buckets_->clock.now();
    buckets_->refill(now);
    needed = buckets_->wait(tokens);
    granted = needed == Duration::zero() || deadline.is_infinite() || needed <= deadline.remaining();
    // Taken now, even when only usable later, so that later callers queue behind this one.
    if (granted) buckets_->take(tokens);
  }
  if (!granted) {
    refused_.inc();
    return rate_limited("local rate limit: budget free in " + ms_text(needed) + ", after the deadline");
  }
  if (needed > Duration::zero()) waits_.inc();
  return Reservation(buckets_, now + needed, needed, tokens, options_.requests_per_minute > 0);
}

Duration RateLimiter::wait_time(int64_t tokens) const {
  MutexLock lock(buckets_->mu);
  buckets_->refill(buckets_->clock.now());
  return buckets_->wait(tokens);
}

Status RateLimiter::try_acquire(int64_t tokens, Duration *wait) {
  Duration needed;
  {
    MutexLock lock(buckets_->mu);
    VOXLINE_RETURN_IF_ERROR(buckets_->validate(tokens));
    buckets_->refill(buckets_->clock.now());
    needed = buckets_->wait(tokens);
    if (needed == Duration::zero()) {
      buckets_->take(tokens);
      if (wait != nullptr) *wait = Duration::zero();
      return Status::Ok();
    }
  }
  if (wait != nullptr) *wait = needed;
  refused_.inc();
  return rate_limited("local rate limit: retry in " + ms_text(needed));
}

Status RateLimiter::acquire(int64_t tokens, const Deadline &deadline) {
  VOXLINE_ASSIGN_OR_RETURN(Reservation r, reserve(tokens, deadline));
  if (r.delay() > Duration::zero()) sleeper_(r.delay());
  return Status::Ok();
}

void RateLimiter::adjust_tokens(int64_t delta) {
  MutexLock lock(buckets_->mu);
  buckets_->refill(buckets_->clock.now());
  if (buckets_->tokens.rate > 0)
    buckets_->tokens.level =
        std::min(buckets_->tokens.capacity, buckets_->tokens.level - static_cast<double>(delta));
}

std::shared_ptr<RateLimiter> RateLimiter::shared(std::string_view name, const RateLimiterOptions &options) {
  return RateLimiterRegistry::process().get(name, options);
}

RateLimiterRegistry::RateLimiterRegistry(const Clock &clock, MetricsRegistry *metrics)
    : clock_(clock), metrics_(metrics) {}

std::shared_ptr<RateLimiter> RateLimiterRegistry::get(std::string_view name,
                                                      const RateLimiterOptions &options) {
  MutexLock lock(mu_);
  auto it = limiters_.find(name);
  if (it != limiters_.end()) return it->second;
  auto limiter = std::make_shared<RateLimiter>(options, clock_, RateLimiter::Sleeper{}, metrics_);
  limiters_.emplace(std::string(name), limiter);
  return limiter;
}

std::shared_ptr<RateLimiter> RateLimiterRegistry::find(std::string_view name) const {
  MutexLock lock(mu_);
  auto it = limiters_.find(name);
  return it == limiters_.end() ? nullptr : it->second;
}

size_t RateLimiterRegistry::size() const {
  MutexLock lock(mu_);
  return limiters_.size();
}

RateLimiterRegistry &RateLimiterRegistry::process() {
  static auto *registry = new RateLimiterRegistry();  // never destroyed: limiters outlive static teardown
  return *registry;
}

}  // namespace voxline
