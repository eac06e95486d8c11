// File: redis_pool.hpp
// RedisPool: a small bounded pool of RedisConnections shared by every session of a store.
// acquire() lends an idle live connection, opens a new one while fewer than max_size exist, or
// waits (bounded by the deadline) for one to come back. Broken connections are dropped on
// return; a dropped idle one is detected before lending. Failed connects start an exponential
// backoff (initial..max): while it runs, acquire() waits it out if the deadline allows, else
// fails at once with UNAVAILABLE naming the last error, so a dead server is not hammered.
// Thread-safety: acquire() and Lease may be used from any thread; a Lease from one at a time.
#pragma once

#include <condition_variable>
#include <memory>
#include <string>
#include <vector>

#include "storage/session_store/redis_connection.hpp"
#include "storage/session_store/store_metrics.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/thread_annotations.hpp"

namespace voxline::detail {

struct RedisPoolOptions {
  size_t max_size = 4;
  Millis connect_timeout{1000};  // cap per connect attempt (the op deadline caps it further)
  Millis backoff_initial{50};
  Millis backoff_max{2000};
};

class RedisPool {
 public:
  // A borrowed connection; returns it to the pool (or drops it when broken) on destruction.
  class Lease {
   public:
    Lease(Lease &&other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {
      other.pool_ = nullptr;
    }
    Lease &operator=(Lease &&) = delete;
    ~Lease();
    RedisConnection *operator->() const noexcept { return conn_.get(); }
    RedisConnection &operator*() const noexcept { return *conn_; }

   private:
    friend class RedisPool;
    Lease(RedisPool *pool, std::unique_ptr<RedisConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
    RedisPool *pool_;
    std::unique_ptr<RedisConnection> conn_;
  };

  RedisPool(RedisEndpoint endpoint, RedisPoolOptions options, StoreMetrics &metrics, Logger &logger);
  // Every Lease must have been returned.
  ~RedisPool();
  RedisPool(const RedisPool &) = delete;
  RedisPool &operator=(const RedisPool &) = delete;

  Result<Lease> acquire(const Deadline &deadline);

  const RedisEndpoint &endpoint() const noexcept { return endpoint_; }

 private:
  void give_back(std::unique_ptr<RedisConnection> conn);
  Millis backoff_for(int failures) const;

  const RedisEndpoint endpoint_;
  const RedisPoolOptions options_;
  StoreMetrics &metrics_;
  Logger &logger_;

  Mutex mu_;
  std::condition_variable_any cv_;
  std::vector<std::unique_ptr<RedisConnection>> idle_ VOXLINE_GUARDED_BY(mu_);
  size_t open_ VOXLINE_GUARDED_BY(mu_) = 0;  // idle + lent + connecting
  size_t lent_ VOXLINE_GUARDED_BY(mu_) = 0;
  int consecutive_failures_ VOXLINE_GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::time_point next_attempt_ VOXLINE_GUARDED_BY(mu_){};
  std::string last_error_ VOXLINE_GUARDED_BY(mu_);
  bool ever_connected_ VOXLINE_GUARDED_BY(mu_) = false;
};

}  // namespace voxline::detail
