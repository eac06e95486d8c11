#include "storage/session_store/redis_pool.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace voxline::detail {

namespace {
using SteadyClock = std::chrono::steady_clock;
// Condition waits are sliced so a deadline on any Clock is re-checked regularly.
constexpr Millis kWaitSlice{50};
}  // namespace

RedisPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_) pool_->give_back(std::move(conn_));
}

RedisPool::RedisPool(RedisEndpoint endpoint, RedisPoolOptions options, StoreMetrics &metrics, Logger &logger)
    : endpoint_(std::move(endpoint)), options_(options), metrics_(metrics), logger_(logger) {}

RedisPool::~RedisPool() {
  MutexLock lock(mu_);
  metrics_.pool_size.add(-static_cast<int64_t>(idle_.size()));
  idle_.clear();
}

Millis RedisPool::backoff_for(int failures) const {
  Millis delay = options_.backoff_initial;
  for (int i = 1; i < failures && delay < options_.backoff_max; ++i) delay *= 2;
  return std::min(delay, options_.backoff_max);
}

Result<RedisPool::Lease> RedisPool::acquire(const Deadline &deadline) {
  ReleasableMutexLock lock(mu_);
  bool counted_wait = false;
  for (;;) {
    while (!idle_.empty()) {
      std::unique_ptr<RedisConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->looks_alive()) {
        ++lent_;
        metrics_.pool_in_use.add(1);
        return Lease(this, std::move(conn));
      }
      // The server closed it while idle (restart, timeout, CLIENT KILL): drop it quietly.
      --open_;
      metrics_.pool_size.add(-1);
    }
    if (deadline.expired()) {
      // Out of time while the server was known to be down: that, not the clock, is the cause.
      if (consecutive_failures_ > 0 && open_ < options_.max_size)
        return unavailable(
            fmt::format("redis at {} is unreachable (last error: {})", endpoint_.redacted(), last_error_));
      return timeout_error(
          fmt::format("no redis connection to {} within the deadline", endpoint_.redacted()));
    }
    if (open_ < options_.max_size) {
      const auto now = SteadyClock::now();
      if (now < next_attempt_) {
        const auto wait = next_attempt_ - now;
        if (deadline.remaining() <= wait)
          return unavailable(
              fmt::format("redis at {} is unreachable (last error: {}); next reconnect in {} ms",
                          endpoint_.redacted(), last_error_, std::chrono::ceil<Millis>(wait).count()));
        cv_.wait_for(lock, std::min<SteadyClock::duration>(wait, kWaitSlice));
        continue;
      }
      ++open_;
      lock.unlock();
      auto opened = RedisConnection::open(endpoint_, options_.connect_timeout, deadline);
      lock.lock();
      if (!opened.ok() && consecutive_failures_ > 0 && deadline.expired() &&
          opened.status().code() == StatusCode::kTimeout) {
        // Ran out of time (e.g. waiting out the backoff) against a server already known to be
        // down: report that cause; this was not a real new attempt.
        --open_;
        cv_.notify_one();
        return unavailable(
            fmt::format("redis at {} is unreachable (last error: {})", endpoint_.redacted(), last_error_));
      }
      if (!opened.ok()) {
        --open_;
        ++consecutive_failures_;
        const Millis delay = backoff_for(consecutive_failures_);
        next_attempt_ = SteadyClock::now() + delay;
        last_error_ = opened.status().to_string();
        metrics_.connect_failures.inc();
        // One warning per outage; the repeats go to debug so a long outage does not flood the host.
        if (consecutive_failures_ == 1) {
          VOXLINE_LOG_WARN(logger_, "session_store", "redis connect failed, retrying with backoff: {}",
                           last_error_);
        } else {
          VOXLINE_LOG_DEBUG(logger_, "session_store",
                            "redis connect failed ({} in a row), retry in {} ms: {}", consecutive_failures_,
                            delay.count(), last_error_);
        }
        cv_.notify_one();
        return opened.status();
      }
      if (ever_connected_) {
        metrics_.reconnects.inc();
        if (consecutive_failures_ > 0)
          VOXLINE_LOG_INFO(logger_, "session_store", "redis at {} reachable again after {} failed connects",
                           endpoint_.redacted(), consecutive_failures_);
      }
      ever_connected_ = true;
      consecutive_failures_ = 0;
      next_attempt_ = {};
      ++lent_;
      metrics_.pool_size.add(1);
      metrics_.pool_in_use.add(1);
      return Lease(this, std::move(opened).value());
    }
    if (!counted_wait) {
      metrics_.pool_waits.inc();
      counted_wait = true;
    }
    cv_.wait_for(lock, std::min<Duration>(deadline.remaining(), kWaitSlice));
  }
}

void RedisPool::give_back(std::unique_ptr<RedisConnection> conn) {
  {
    MutexLock lock(mu_);
    --lent_;
    metrics_.pool_in_use.add(-1);
    if (conn->broken()) {
      --open_;
      metrics_.pool_size.add(-1);
    } else {
      idle_.push_back(std::move(conn));
    }
  }
  cv_.notify_one();
  // A broken connection is freed here, outside the lock (redisFree closes its socket).
}

}  // namespace voxline::detail
