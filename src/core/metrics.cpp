#include "voxline/core/metrics.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "voxline/core/json.hpp"

namespace voxline {
namespace {

enum Kind { kCounter = 0, kGauge = 1, kHistogram = 2 };
constexpr const char *kKindName[] = {"counter", "gauge", "histogram"};

std::string sanitize_name(std::string_view name) {
  std::string out(name.empty() ? "_" : name);
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) out[i] = '_';
  }
  return out;
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// Canonical `{a="1",b="2"}` text (sorted by label name) used as the series key and for output.
std::string label_text(MetricLabels labels, const std::string &extra = {}) {
  std::sort(labels.begin(), labels.end());
  std::string out;
  for (const auto &[k, v] : labels) {
    out += out.empty() ? "{" : ",";
    out += sanitize_name(k) + "=\"" + escape_label_value(v) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "{" : ",") + extra;
  if (!out.empty()) out += "}";
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

}  // namespace

void Gauge::update_max(int64_t v) noexcept {
  int64_t cur = value_.load(std::memory_order_relaxed);
  while (cur < v && !value_.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

std::vector<double> Histogram::latency_ms_buckets() {
  return {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  if (bounds_.empty()) bounds_ = latency_ms_buckets();
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double v) noexcept {
  if (std::isnan(v)) return;
  const size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  const double micro = std::clamp(v * 1e6, -9e15, 9e15);
  sum_micro_.fetch_add(static_cast<int64_t>(micro), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  s.counts.resize(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];  // sum of buckets, so count and buckets always agree
  }
  s.sum = static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
  return s;
}

double Histogram::Snapshot::quantile(double q) const {
  if (count == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const double rank = q * static_cast<double>(count);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    if (static_cast<double>(seen + counts[i]) >= rank) {
      const double lo = i == 0 ? 0 : bounds[i - 1];
      if (i == bounds.size()) return lo;  // +Inf bucket: report its lower edge
      const double hi = bounds[i];
      const double frac = (rank - static_cast<double>(seen)) / static_cast<double>(counts[i]);
      return lo + (hi - lo) * std::clamp(frac, 0.0, 1.0);
    }
    seen += counts[i];
  }
  return bounds.empty() ? 0 : bounds.back();
}

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  int kind;
  std::map<std::string, std::unique_ptr<Counter>> counters;  // keyed by label text
  std::map<std::string, std::unique_ptr<Gauge>> gauges;
  std::map<std::string, std::unique_ptr<Histogram>> histograms;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family &MetricsRegistry::family(std::string_view name, std::string_view help, int kind) {
  std::string key = sanitize_name(name);
  auto it = families_.find(key);
  if (it != families_.end() && it->second->kind != kind) {
    key += std::string("_") + kKindName[kind];
    it = families_.find(key);
  }
  if (it == families_.end()) {
    auto fam = std::make_unique<Family>();
    fam->name = key;
    fam->help = std::string(help);
    fam->kind = kind;
    it = families_.emplace(key, std::move(fam)).first;
  }
  return *it->second;
}

Counter &MetricsRegistry::counter(std::string_view name, std::string_view help, const MetricLabels &labels) {
  MutexLock lock(mu_);
  auto &slot = family(name, help, kCounter).counters[label_text(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge &MetricsRegistry::gauge(std::string_view name, std::string_view help, const MetricLabels &labels) {
  MutexLock lock(mu_);
  auto &slot = family(name, help, kGauge).gauges[label_text(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram &MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      std::vector<double> bounds, const MetricLabels &labels) {
  MutexLock lock(mu_);
  auto &slot = family(name, help, kHistogram).histograms[label_text(labels)];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

std::string MetricsRegistry::prometheus_text() const {
  MutexLock lock(mu_);
  std::string out;
  for (const auto &[name, fam] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, fam->help, name, kKindName[fam->kind]);
    for (const auto &[labels, c] : fam->counters) out += fmt::format("{}{} {}\n", name, labels, c->value());
    for (const auto &[labels, g] : fam->gauges) out += fmt::format("{}{} {}\n", name, labels, g->value());
    for (const auto &[labels, h] : fam->histograms) {
      const Histogram::Snapshot s = h->snapshot();
      // Re-parse the label text into pairs is avoidable: splice "le" into the existing braces.
      const std::string base = labels.empty() ? "" : labels.substr(1, labels.size() - 2);
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= s.bounds.size(); ++i) {
        cumulative += s.counts[i];
        const double le = i < s.bounds.size() ? s.bounds[i] : INFINITY;
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, base, base.empty() ? "" : ",", number(le),
                           cumulative);
      }
      out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, labels, number(s.sum), name, labels, s.count);
    }
  }
  return out;
}

std::string MetricsRegistry::json() const {
  MutexLock lock(mu_);
  std::string counters, gauges, histograms;
  auto sep = [](std::string &s) { s += s.empty() ? "" : ","; };
  for (const auto &[name, fam] : families_) {
    for (const auto &[labels, c] : fam->counters) {
      sep(counters);
      counters += fmt::format("{}:{}", json::quote(name + labels), c->value());
    }
    for (const auto &[labels, g] : fam->gauges) {
      sep(gauges);
      gauges += fmt::format("{}:{}", json::quote(name + labels), g->value());
    }
    for (const auto &[labels, h] : fam->histograms) {
      const Histogram::Snapshot s = h->snapshot();
      sep(histograms);
      histograms += fmt::format("{}:{{\"count\":{},\"sum\":{},\"p50\":{},\"p90\":{},\"p99\":{}}}",
                                json::quote(name + labels), s.count, s.sum, s.quantile(0.5), s.quantile(0.9),
                                s.quantile(0.99));
    }
  }
  return fmt::format("{{\"counters\":{{{}}},\"gauges\":{{{}}},\"histograms\":{{{}}}}}", counters, gauges,
                     histograms);
}

MetricsRegistry &MetricsRegistry::global() noexcept {
  static MetricsRegistry *registry = new MetricsRegistry();  // never destroyed: used during exit
  return *registry;
}

}  // namespace voxline
