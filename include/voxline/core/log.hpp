// File: log.hpp
// Logger: levelled logging into a host-settable sink, with every line passed through a Redactor
// first, so secrets never reach the host. A process-wide default logger exists for code that
// has no Runtime at hand; a host replaces its sink once at start-up.
//
// Default sink: every Logger, default_logger() included, starts at level kWarn and writes
// "<UTC time> <LEVEL> [component] message" lines to stderr. One call silences the library:
// default_logger().silence() (C: voxline_log_set_sink(NULL, NULL, NULL)).
//
//   voxline::default_logger().set_sink([](const LogRecord &r) { my_log(r.level, r.message); });
//   VOXLINE_LOG_INFO(voxline::default_logger(), "net", "connected to {} in {} ms", host, ms);
//
// Sink contract: called on whichever thread logged, possibly concurrently from several threads;
// `record` and its views are valid only during the call; the sink must not block for long and
// may call back into voxline (no internal lock is held while it runs).
// Thread-safety: every Logger method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "voxline/core/clock.hpp"
#include "voxline/core/redactor.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/thread_annotations.hpp"

namespace voxline {

enum class LogLevel : int { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4, kOff = 5 };

VOXLINE_API const char *log_level_name(LogLevel level) noexcept;
// Parses "trace", "debug", "info", "warn"/"warning", "error", "off" (any case).
VOXLINE_API Result<LogLevel> parse_log_level(std::string_view text);

struct LogRecord {
  LogLevel level;
  std::string_view component;  // "core", "net", "storage", ...
  std::string_view message;    // already redacted
  WallTime time;
};

using LogSink = std::function<void(const LogRecord &record)>;

class VOXLINE_API Logger {
 public:
  // Starts at level kWarn with a sink that writes "<time> <LEVEL> [component] message" to stderr.
  Logger();

  void set_level(LogLevel level) noexcept {
    level_.store(static_cast<int>(level), std::memory_order_relaxed);
  }
  LogLevel level() const noexcept { return static_cast<LogLevel>(level_.load(std::memory_order_relaxed)); }
  bool enabled(LogLevel level) const noexcept {
    return level != LogLevel::kOff && static_cast<int>(level) >= level_.load(std::memory_order_relaxed);
  }

  // Replaces the sink; an empty function discards every line. Safe while other threads log:
  // a line already in flight may still reach the previous sink.
  void set_sink(LogSink sink);
  // Discards every line from now on (set_sink(nullptr)); lines_emitted() stops counting.
  void silence() { set_sink(nullptr); }
  // The stderr sink the logger starts with.
  static LogSink stderr_sink();

  Redactor &redactor() noexcept { return redactor_; }

  // Redacts `message` and hands it to the sink when `level` is enabled.
  void log(LogLevel level, std::string_view component, std::string_view message);

  template <typename... Args>
  void logf(LogLevel level, std::string_view component, fmt::format_string<Args...> format, Args &&...args) {
    if (!enabled(level)) return;
    log(level, component, fmt::format(format, std::forward<Args>(args)...));
  }

  // Lines handed to the sink so far, per level (for tests and health reports).
  uint64_t lines_emitted(LogLevel level) const noexcept;

 private:
  std::atomic<int> level_;
  Redactor redactor_;
  Mutex sink_mu_;
  std::shared_ptr<const LogSink> sink_
      VOXLINE_GUARDED_BY(sink_mu_);  // copied under the lock, called outside it
  std::atomic<uint64_t> emitted_[5] = {};
};

// The process-wide logger. Lives for the whole process.
VOXLINE_API Logger &default_logger() noexcept;

}  // namespace voxline

// Formats only when the level is enabled, so disabled debug lines cost one atomic load.
#define VOXLINE_LOG_AT(logger, level, component, ...)                          \
  do {                                                                         \
    if ((logger).enabled(level)) (logger).logf(level, component, __VA_ARGS__); \
  } while (0)
#define VOXLINE_LOG_TRACE(logger, component, ...) \
  VOXLINE_LOG_AT(logger, ::voxline::LogLevel::kTrace, component, __VA_ARGS__)
#define VOXLINE_LOG_DEBUG(logger, component, ...) \
  VOXLINE_LOG_AT(logger, ::voxline::LogLevel::kDebug, component, __VA_ARGS__)
#define VOXLINE_LOG_INFO(logger, component, ...) \
  VOXLINE_LOG_AT(logger, ::voxline::LogLevel::kInfo, component, __VA_ARGS__)
#define VOXLINE_LOG_WARN(logger, component, ...) \
  VOXLINE_LOG_AT(logger, ::voxline::LogLevel::kWarn, component, __VA_ARGS__)
#define VOXLINE_LOG_ERROR(logger, component, ...) \
  VOXLINE_LOG_AT(logger, ::voxline::LogLevel::kError, component, __VA_ARGS__)
