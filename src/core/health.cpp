#include "voxline/core/health.hpp"

#include <ctime>

#include <fmt/format.h>

#include "voxline/core/json.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/core/version.hpp"

namespace voxline {
namespace {

// Runs `probe` and records its verdict and duration.
template <typename Probe>
HealthCheck timed(const Clock &clock, std::string component, Probe probe) {
  const SteadyTime start = clock.now();
  HealthCheck check{std::move(component), false, {}, 0};
  check.ok = probe(check.detail);
  check.latency_ms = elapsed_ms(start, clock.now());
  return check;
}

std::string iso8601(WallTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

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
    out += fmt::format("{:<5} {:<22} {} ({:.3f} ms)\n", c.ok ? "ok" : "FAIL", c.component,
                       default_logger().redactor().redact(c.detail), c.latency_ms);
  }
  return out;
}

HealthReport core_health_report(const Clock &clock) {
  HealthReport report;
  report.add(timed(clock, "core.clock", [&](std::string &detail) {
    const SteadyTime a = clock.now();
    const SteadyTime b = clock.now();
    const WallTime wall = clock.wall_now();
    // A wall clock before 2020 means the host never set its time: slot rules would misfire.
    const bool wall_sane = wall > WallTime(std::chrono::seconds(1577836800));
    detail = fmt::format("monotonic {}, wall {}", b >= a ? "ok" : "went backwards", iso8601(wall));
    return b >= a && wall_sane;
  }));
  report.add(timed(clock, "core.json", [](std::string &detail) {
    Result<json::Document> doc = json::parse(R"({"a":[1,2.5,"x\u00e9"],"b":{"c":null}})");
    const bool ok = doc.ok() && json::to_string(*doc) == "{\"a\":[1,2.5,\"x\xc3\xa9\"],\"b\":{\"c\":null}}";
    detail = ok ? "parse/serialise round trip" : "round trip mismatch";
    return ok;
  }));
  report.add(timed(clock, "core.log", [](std::string &detail) {
    Redactor probe;
    (void)probe.add_secret("health-probe-secret");
    const bool ok = probe.redact("key=health-probe-secret") == "key=***";
    Logger &log = default_logger();
    detail = fmt::format("level {}, redaction {}, {} secrets registered", log_level_name(log.level()),
                         ok ? "ok" : "BROKEN", log.redactor().secret_count());
    return ok;
  }));
  report.add(timed(clock, "core.metrics", [](std::string &detail) {
    MetricsRegistry registry;
    registry.counter("voxline_health_probe_total", "probe").inc();
    const bool ok = registry.prometheus_text().find("voxline_health_probe_total 1") != std::string::npos;
    detail = ok ? "registry renders" : "registry render mismatch";
    return ok;
  }));
  return report;
}

}  // namespace voxline
