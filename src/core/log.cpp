#include "voxline/core/log.hpp"

#include <cstdio>
#include <ctime>

#include "voxline/core/strings.hpp"

namespace voxline {

const char *log_level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kTrace: return "TRACE";
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
    case LogLevel::kOff: return "OFF";
  }
  return "UNKNOWN";
}

Result<LogLevel> parse_log_level(std::string_view text) {
  const std::string t = to_lower_ascii(trim(text));
  if (t == "trace") return LogLevel::kTrace;
  if (t == "debug") return LogLevel::kDebug;
  if (t == "info") return LogLevel::kInfo;
  if (t == "warn" || t == "warning") return LogLevel::kWarn;
  if (t == "error") return LogLevel::kError;
  if (t == "off" || t == "none") return LogLevel::kOff;
  return invalid_argument("unknown log level '" + std::string(text) +
                          "' (expected trace, debug, info, warn, error or off)");
}

Logger::Logger()
    : level_(static_cast<int>(LogLevel::kWarn)), sink_(std::make_shared<LogSink>(stderr_sink())) {}

LogSink Logger::stderr_sink() {
  return [](const LogRecord &r) {
    const std::time_t t = std::chrono::system_clock::to_time_t(r.time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::fprintf(stderr, "%s %-5s [%.*s] %.*s\n", stamp, log_level_name(r.level),
                 static_cast<int>(r.component.size()), r.component.data(), static_cast<int>(r.message.size()),
                 r.message.data());
  };
}

void Logger::set_sink(LogSink sink) {
  std::shared_ptr<const LogSink> next = sink ? std::make_shared<const LogSink>(std::move(sink)) : nullptr;
  {
    MutexLock lock(sink_mu_);
    sink_.swap(next);
  }
  // `next` now holds the previous sink: released outside the lock, because its destructor may
  // run host code (voxline_log_set_sink's user_data_free) that logs.
}

void Logger::log(LogLevel level, std::string_view component, std::string_view message) {
  if (!enabled(level)) return;
  std::shared_ptr<const LogSink> sink;
  {
    MutexLock lock(sink_mu_);
    sink = sink_;
  }
  if (!sink) return;
  const std::string clean = redactor_.redact(message);
  emitted_[static_cast<int>(level)].fetch_add(1, std::memory_order_relaxed);
  (*sink)(LogRecord{level, component, clean, Clock::system().wall_now()});
}

uint64_t Logger::lines_emitted(LogLevel level) const noexcept {
  const int i = static_cast<int>(level);
  return (i >= 0 && i < 5) ? emitted_[i].load(std::memory_order_relaxed) : 0;
}

Logger &default_logger() noexcept {
  static Logger *logger = new Logger();  // never destroyed: threads may log during exit
  return *logger;
}

}  // namespace voxline
