// File: store_metrics.hpp
// StoreMetrics: the instruments every SessionStore backend reports into (ops by kind with
// latency, errors by code, timeouts, and for Redis reconnects, script reloads and the pool).
// Thread-safety: all methods may be called from any thread (instruments are atomic).
#pragma once

#include <array>
#include <string>

#include "voxline/core/clock.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"
#include "voxline/storage/session_store.hpp"

namespace voxline::detail {

enum class StoreOp : int {
  kGet,
  kPut,
  kPatch,
  kDelete,
  kHold,
  kRelease,
  kConfirm,
  kCancel,
  kSlotState,
  kRate,
  kPing,
  kCount
};

const char *store_op_name(StoreOp op) noexcept;

class StoreMetrics {
 public:
  StoreMetrics(MetricsRegistry &registry, const std::string &backend);

  // Counts one finished operation of kind `op` that took `ms`, with its outcome.
  void record(StoreOp op, double ms, const Status &outcome);

  Counter &reconnects;  // new connections made after the first
  Counter &connect_failures;
  Counter &script_reloads;  // NOSCRIPT answered by EVAL
  Counter &pool_waits;      // acquisitions that had to wait for a free connection
  Gauge &pool_size;         // open connections
  Gauge &pool_in_use;       // connections lent out

 private:
  MetricsRegistry &registry_;
  std::string backend_;
  std::array<Counter *, static_cast<int>(StoreOp::kCount)> ops_{};
  std::array<Histogram *, static_cast<int>(StoreOp::kCount)> latency_{};
  Counter &timeouts_;
};

// Times one operation on the real steady clock (a store's injected clock may be a ManualClock)
// and records it with its outcome:  OpTimer t(metrics, StoreOp::kGet); return t.done(run());
class OpTimer {
 public:
  OpTimer(StoreMetrics &metrics, StoreOp op)
      : metrics_(metrics), op_(op), start_(std::chrono::steady_clock::now()) {}
  template <typename T>
  T done(T result) {
    metrics_.record(op_, elapsed_ms(start_, std::chrono::steady_clock::now()), status_of(result));
    return result;
  }

 private:
  static const Status &status_of(const Status &s) { return s; }
  template <typename U>
  static const Status &status_of(const Result<U> &r) {
    return r.status();
  }
  StoreMetrics &metrics_;
  StoreOp op_;
  SteadyTime start_;
};

}  // namespace voxline::detail

namespace voxline {

// The instruments a SessionStore owns; the public header names the type, its body lives here.
class SessionStore::Metrics : public detail::StoreMetrics {
 public:
  using detail::StoreMetrics::StoreMetrics;
};

}  // namespace voxline
