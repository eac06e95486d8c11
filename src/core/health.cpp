#include "voxline/core/health.hpp"

#include <ctime>
#include <exception>
#include <utility>

#include <fmt/format.h>

#include "voxline/core/json.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/version.hpp"

namespace voxline {
namespace {

std::string iso8601(WallTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Seconds since the epoch of 2020-01-01T00:00:00Z.
constexpr int64_t kYear2020 = 1577836800;

}  // namespace

void HealthReport::add(HealthCheck check) {
  checks_.push_back(std::move(check));
}

void HealthReport::merge(const HealthReport &other) {
  checks_.insert(checks_.end(), other.checks_.begin(), other.checks_.end());
}

bool HealthReport::ok() const noexcept {
  for (const HealthCheck &c : checks_) {
    if (!c.ok) return false;
  }
  return true;
}

const HealthCheck *HealthReport::find(const std::string &component) const noexcept {
  for (const HealthCheck &c : checks_) {
    if (c.component == component) return &c;
  }
  return nullptr;
}

std::string HealthReport::to_json() const {
  std::string items;
  for (const HealthCheck &c : checks_) {
    if (!items.empty()) items += ",";
    items += fmt::format("{{\"component\":{},\"ok\":{},\"detail\":{},\"latency_ms\":{:.3f}}}",
                         json::quote(c.component), c.ok ? "true" : "false",
                         json::quote(default_logger().redactor().redact(c.detail)), c.latency_ms);
  }
  return fmt::format("{{\"ok\":{},\"version\":{},\"checks\":[{}]}}", ok() ? "true" : "false",
                     json::quote(version_string()), items);
}

std::string HealthReport::to_text() const {
  std::string out;
  for (const HealthCheck &c : checks_) {
    out += fmt::format("{:<5} {:<28} {} ({:.3f} ms)\n", c.ok ? "ok" : "FAIL", c.component,
                       default_logger().redactor().redact(c.detail), c.latency_ms);
  }
  return out;
}

void HealthRegistry::add(std::string component, Duration timeout, HealthProbe probe) {
  MutexLock lock(mu_);
  for (Entry &e : entries_) {
    if (e.component == component) {
      e.timeout = timeout;
      e.probe = std::move(probe);
      return;
    }
  }
  entries_.push_back(Entry{std::move(component), timeout, std::move(probe)});
}

bool HealthRegistry::remove(const std::string &component) {
  MutexLock lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->component == component) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

size_t HealthRegistry::size() const {
  MutexLock lock(mu_);
  return entries_.size();
}

HealthReport HealthRegistry::run() const {
  std::vector<Entry> entries;
  {
    MutexLock lock(mu_);
    entries = entries_;  // probes run outside the lock: they may take their whole deadline
  }
  HealthReport report;
  for (const Entry &e : entries) {
    const SteadyTime start = clock_.now();
    const Deadline deadline = Deadline::after(e.timeout, clock_);
    HealthCheck check;
    try {
      check = e.probe ? e.probe(deadline) : HealthCheck{{}, false, "no probe registered", 0};
    } catch (const std::exception &ex) {
      check = HealthCheck{{}, false, fmt::format("probe threw: {}", ex.what()), 0};
    } catch (...) {
      check = HealthCheck{{}, false, "probe threw a non-standard exception", 0};
    }
    check.component = e.component;
    check.latency_ms = elapsed_ms(start, clock_.now());
    if (check.ok && deadline.expired()) {
      check.ok = false;
      check.detail = fmt::format("answered after its {:.0f} ms deadline: {}",
                                 std::chrono::duration<double, std::milli>(e.timeout).count(), check.detail);
    }
    report.add(std::move(check));
  }
  return report;
}

void add_core_health_checks(HealthRegistry &registry) {
  registry.add("core.clock", std::chrono::milliseconds(100), [](const Deadline &deadline) {
    const Clock &clock = deadline.clock();
    const SteadyTime a = clock.now();
    const SteadyTime b = clock.now();
    const WallTime wall = clock.wall_now();
    const bool wall_sane = wall > WallTime(std::chrono::seconds(kYear2020));
    HealthCheck c;
    c.ok = b >= a && wall_sane;
    c.detail = fmt::format("monotonic {}, wall {}{}", b >= a ? "ok" : "went backwards", iso8601(wall),
                           wall_sane ? "" : " (before 2020: the host clock is not set)");
    return c;
  });
}

HealthReport core_health_report(const Clock &clock) {
  HealthRegistry registry(clock);
  add_core_health_checks(registry);
  return registry.run();
}

}  // namespace voxline
