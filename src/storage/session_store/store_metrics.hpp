// File: store_metrics.hpp
// StoreMetrics: the instruments every SessionStore backend reports into (ops by kind with
// latency, errors by code, timeouts, and for Redis reconnects, script reloads and the pool).
// Thread-safety: all methods may be called from any thread (instruments are atomic).
#pragma once

#include <array>
#include <string>

#include "voxline/core/clock.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/core/status.hpp"

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

}  // namespace voxline::detail
