// File: health.hpp
// Health checks that report real state. A component (the SQLite database, the session store,
// later each provider) registers a probe with a HealthRegistry; run() calls every probe with its
// own deadline and aggregates the verdicts into a HealthReport, which is unhealthy as soon as
// one check fails (its detail says why). The host renders the report as JSON or text.
//
//   HealthRegistry health;
//   health.add("storage.sqlite", std::chrono::seconds(2), database_health_probe(*db));
//   health.add("storage.session_store", std::chrono::milliseconds(200), session_store_health_probe(*store));
//   HealthReport r = health.run();
//   if (!r.ok()) alert(r.to_text());
//
// Probes must honour the Deadline they get (every storage call takes one); a probe that still
// returns late is reported as failed, so a hanging dependency cannot make a report look healthy.
// Ownership: a probe usually captures a reference to its component, which must outlive every
// run(); remove() the probe (or drop the registry) before destroying the component.
// Thread-safety: HealthRegistry methods may be called from any thread; run() calls the probes
// on the calling thread, one after another, outside the registry's lock. A HealthReport is a
// plain value.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/core/deadline.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/thread_annotations.hpp"

namespace voxline {

struct HealthCheck {
  std::string component;  // "core.clock", "storage.sqlite", ...
  bool ok = false;
  std::string detail;     // human-readable: what was checked or what failed (redacted on output)
  double latency_ms = 0;  // how long the probe took
};

class VOXLINE_API HealthReport {
 public:
  void add(HealthCheck check);
  void merge(const HealthReport &other);
  bool ok() const noexcept;  // every check passed (an empty report is OK)
  const std::vector<HealthCheck> &checks() const noexcept { return checks_; }
  // The check of `component`, or nullptr.
  const HealthCheck *find(const std::string &component) const noexcept;
  // {"ok":true,"version":"0.1.0","checks":[{"component":..,"ok":..,"detail":..,"latency_ms":..}]}
  std::string to_json() const;
  // One line per check: "ok    core.clock  monotonic ok, wall 2026-11-24T06:00:00Z  (0.010 ms)".
  std::string to_text() const;

 private:
  std::vector<HealthCheck> checks_;
};

// Probes one component before `deadline`. `component`, `latency_ms` and a late answer are filled
// in by the registry; the probe sets ok and detail.
using HealthProbe = std::function<HealthCheck(const Deadline &deadline)>;

class VOXLINE_API HealthRegistry {
 public:
  explicit HealthRegistry(const Clock &clock = Clock::system()) : clock_(clock) {}

  // Registers (or replaces) the probe of `component`, to be answered within `timeout`.
  void add(std::string component, Duration timeout, HealthProbe probe);
  // Forgets the probe of `component`; false when there was none.
  bool remove(const std::string &component);
  size_t size() const;

  // Runs every probe in registration order. A probe that throws, answers after its deadline or
  // returns a failure makes its check (and so the report) unhealthy.
  HealthReport run() const;

 private:
  struct Entry {
    std::string component;
    Duration timeout;
    HealthProbe probe;
  };
  const Clock &clock_;
  mutable Mutex mu_;
  std::vector<Entry> entries_ VOXLINE_GUARDED_BY(mu_);
};

// The core layer's own check: the monotonic and wall clocks (a wall clock before 2020 means the
// host never set its time, and booking rules would misfire).
VOXLINE_API void add_core_health_checks(HealthRegistry &registry);
// A report of the core checks alone (what voxline-version prints without --db/--redis).
VOXLINE_API HealthReport core_health_report(const Clock &clock = Clock::system());

}  // namespace voxline
