// File: metrics.hpp
// MetricsRegistry: counters, gauges and histograms that every module reports into, rendered as
// Prometheus text or JSON. Instruments are created once (by name + labels) and then updated
// lock-free on hot paths.
//
//   MetricsRegistry &m = ...;   // the Runtime's registry, or MetricsRegistry::global()
//   Counter &timeouts = m.counter("voxline_net_timeouts_total", "Deadlines that expired", {{"phase",
//   "connect"}}); timeouts.inc(); Histogram &rtt = m.histogram("voxline_ws_rtt_ms", "Round trip",
//   Histogram::latency_ms_buckets()); rtt.observe(3.2);
//
// Lifetime: references returned by the registry stay valid as long as the registry.
// Thread-safety: every method of every class here may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/thread_annotations.hpp"

namespace voxline {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class VOXLINE_API Counter {
 public:
  void inc(uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class VOXLINE_API Gauge {
 public:
  void set(int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) noexcept { value_.fetch_add(d, std::memory_order_relaxed); }
  // Raises the gauge to `v` if it is lower (high-water marks).
  void update_max(int64_t v) noexcept;
  int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class VOXLINE_API Histogram {
 public:
  struct Snapshot {
    std::vector<double> bounds;    // upper bounds, ascending; an implicit +Inf bucket follows
    std::vector<uint64_t> counts;  // per bucket (not cumulative), bounds.size() + 1 entries
    uint64_t count = 0;
    double sum = 0;
    // Estimated value at quantile q in [0,1], interpolated inside its bucket.
    double quantile(double q) const;
  };

  // `bounds` are sorted and de-duplicated; empty means latency_ms_buckets().
  explicit Histogram(std::vector<double> bounds);
  void observe(double v) noexcept;
  Snapshot snapshot() const;

  // 0.1 ms .. 60 s, roughly x2 apart: suits every latency voxline measures.
  static std::vector<double> latency_ms_buckets();

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_micro_{0};  // sum in millionths, so it can be atomic
};

class VOXLINE_API MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry &) = delete;
  MetricsRegistry &operator=(const MetricsRegistry &) = delete;

  // Returns the instrument for (name, labels), creating it on first use. Names outside
  // [a-zA-Z_:][a-zA-Z0-9_:]* are sanitised ('_' for each bad character). Asking for an existing
  // name with another kind returns a distinct instrument under "<name>_<kind>".
  Counter &counter(std::string_view name, std::string_view help, const MetricLabels &labels = {});
  Gauge &gauge(std::string_view name, std::string_view help, const MetricLabels &labels = {});
  Histogram &histogram(std::string_view name, std::string_view help, std::vector<double> bounds = {},
                       const MetricLabels &labels = {});

  // Prometheus text exposition format 0.0.4.
  std::string prometheus_text() const;
  // {"counters":{"name{labels}":n,...},"gauges":{...},"histograms":{"name":{"count":..,"sum":..,"p50":..,"p99":..}}}
  std::string json() const;

  // The process-wide registry for code with no Runtime at hand. Lives for the whole process.
  static MetricsRegistry &global() noexcept;

 private:
  struct Family;
  Family &family(std::string_view name, std::string_view help, int kind) VOXLINE_REQUIRES(mu_);
  mutable Mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_ VOXLINE_GUARDED_BY(mu_);
};

}  // namespace voxline
