// File: health.hpp
// HealthReport: the result of probing a set of components (clock, database, redis, providers).
// Each layer contributes checks; the host renders the report as JSON or text.
//
//   HealthReport r = core_health_report();
//   r.add({"redis", store.ping().ok(), "PONG", 0.4});
//   std::puts(r.to_json().c_str());
//
// Thread-safety: a HealthReport is a plain value.
#pragma once

#include <string>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/core/export.hpp"

namespace voxline {

struct HealthCheck {
  std::string component;  // "core.clock", "storage.sqlite", ...
  bool ok = false;
  std::string detail;     // human-readable: what was checked or what failed (redacted)
  double latency_ms = 0;  // how long the probe took
};

class VOXLINE_API HealthReport {
 public:
  void add(HealthCheck check);
  void merge(const HealthReport &other);
  bool ok() const noexcept;  // every check passed (an empty report is OK)
  const std::vector<HealthCheck> &checks() const noexcept { return checks_; }
  // {"ok":true,"version":"0.1.0","checks":[{"component":..,"ok":..,"detail":..,"latency_ms":..}]}
  std::string to_json() const;
  // One line per check: "ok    core.clock  monotonic, wall 2026-11-24T06:00:00Z  (0.01 ms)".
  std::string to_text() const;

 private:
  std::vector<HealthCheck> checks_;
};

// Probes the core layer: monotonic and wall clocks, JSON parse/serialise round trip, the
// default logger's sink and redaction, and the metrics registry.
VOXLINE_API HealthReport core_health_report(const Clock &clock = Clock::system());

}  // namespace voxline
