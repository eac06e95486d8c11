// C ABI: the host's log sink and level for the process-wide logger.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "capi_internal.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"

static_assert(static_cast<int>(voxline::LogLevel::kTrace) == VOXLINE_LOG_TRACE, "C and C++ levels differ");
static_assert(static_cast<int>(voxline::LogLevel::kWarn) == VOXLINE_LOG_WARN, "C and C++ levels differ");
static_assert(static_cast<int>(voxline::LogLevel::kOff) == VOXLINE_LOG_OFF, "C and C++ levels differ");

namespace {

// The host's callback; destroyed (running user_data_free) when the logger drops its last copy,
// i.e. after the sink was replaced and every line in flight returned.
struct HostSink {
  voxline_log_fn fn;
  void *user_data;
  void (*user_data_free)(void *);

  HostSink(voxline_log_fn f, void *u, void (*uf)(void *)) : fn(f), user_data(u), user_data_free(uf) {}
  HostSink(const HostSink &) = delete;
  HostSink &operator=(const HostSink &) = delete;
  ~HostSink() {
    if (user_data_free != nullptr) user_data_free(user_data);
  }

  void operator()(const voxline::LogRecord &r) const {
    // The views in a LogRecord are not NUL-terminated. Copies are local (not per-thread
    // buffers) because the host's callback may log again while this record is still in use.
    char component[64];
    const size_t n = std::min(r.component.size(), sizeof component - 1);
    std::memcpy(component, r.component.data(), n);
    component[n] = '\0';
    const std::string message(r.message);
    voxline_log_record rec;
    rec.version = VOXLINE_LOG_RECORD_VERSION;
    rec.level = static_cast<voxline_log_level>(static_cast<int>(r.level));
    rec.component = component;
    rec.message = message.c_str();
    rec.unix_time_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(r.time.time_since_epoch()).count();
    fn(&rec, user_data);
  }
};

// The sink of a C ABI process whose host has not set one: counts each line per level, writes none.
voxline::LogSink dropping_sink() {
  static constexpr const char *kLevels[] = {"trace", "debug", "info", "warn", "error"};
  std::array<voxline::Counter *, 5> dropped{};
  for (size_t i = 0; i < dropped.size(); ++i) {
    dropped[i] = &voxline::MetricsRegistry::global().counter(
        "voxline_log_dropped_total",
        "Log lines dropped because the host set no log sink (voxline_log_set_sink)", {{"level", kLevels[i]}});
  }
  return [dropped](const voxline::LogRecord &r) {
    const auto i = static_cast<size_t>(r.level);
    if (i < dropped.size()) dropped[i]->inc();
  };
}

std::once_flag g_boundary_policy;

}  // namespace

namespace voxline::capi {

void apply_boundary_log_policy() noexcept {
  try {
    // A host sink set later replaces this one; one set earlier is impossible, because
    // voxline_log_set_sink itself runs under guard(), so this comes first.
    std::call_once(g_boundary_policy, [] { default_logger().set_sink(dropping_sink()); });
  } catch (...) {
    // Out of memory: not marked done, so the next call tries again; nothing else to report.
  }
}

}  // namespace voxline::capi

extern "C" voxline_status voxline_log_set_sink(voxline_log_fn fn, void *user_data,
                                               void (*user_data_free)(void *user_data)) {
  return voxline::capi::guard([&]() -> voxline::Status {
    if (fn == nullptr) {
      voxline::default_logger().silence();
      if (user_data_free != nullptr) user_data_free(user_data);  // nothing will ever use it
      return voxline::Status::Ok();
    }
    std::shared_ptr<const HostSink> sink;
    try {
      sink = std::make_shared<const HostSink>(fn, user_data, user_data_free);
    } catch (...) {
      if (user_data_free != nullptr) user_data_free(user_data);  // ownership passed even on failure
      throw;
    }
    voxline::default_logger().set_sink([sink](const voxline::LogRecord &r) { (*sink)(r); });
    return voxline::Status::Ok();
  });
}

extern "C" voxline_status voxline_log_set_level(voxline_log_level level) {
  return voxline::capi::guard([&]() -> voxline::Status {
    const int v = static_cast<int>(level);
    if (v < VOXLINE_LOG_TRACE || v > VOXLINE_LOG_OFF) {
      return voxline::invalid_argument("unknown log level " + std::to_string(v) +
                                       " (expected VOXLINE_LOG_TRACE..VOXLINE_LOG_OFF, 0..5)");
    }
    voxline::default_logger().set_level(static_cast<voxline::LogLevel>(v));
    return voxline::Status::Ok();
  });
}
