// lws log routing: one hook installed once; the lines go to the newest attached Logger.
#include "net/lws_log.hpp"

#include <libwebsockets.h>

#include <algorithm>
#include <string>
#include <vector>

#include "voxline/core/log.hpp"
#include "voxline/core/thread_annotations.hpp"

namespace voxline::detail {

namespace {

Mutex &log_mu() {
  static Mutex mu;
  return mu;
}
std::vector<Logger *> &loggers() {
  static std::vector<Logger *> v;  // guarded by log_mu()
  return v;
}

void emit(int level, const char *line) {
  std::string text(line != nullptr ? line : "");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  // lws reports failed connections (TLS verification, ...) as errors; the owner gets a Status for
  // them anyway, so errors and notices are debug lines here, warnings info lines.
  const LogLevel lv = (level & LLL_WARN) != 0 ? LogLevel::kInfo : LogLevel::kDebug;
  MutexLock lock(log_mu());  // held while logging: a Runtime cannot detach its logger meanwhile
  Logger &out = loggers().empty() ? default_logger() : *loggers().back();
  if (out.enabled(lv)) out.log(lv, "lws", text);
}

}  // namespace

void lws_log_attach(Logger *logger) {
  // Every time: another lws user in the process (the test simulator) may have changed the level.
  lws_set_log_level(LLL_ERR | LLL_WARN | LLL_NOTICE, emit);
  MutexLock lock(log_mu());
  loggers().push_back(logger);
}

void lws_log_detach(Logger *logger) {
  MutexLock lock(log_mu());
  auto &v = loggers();
  auto it = std::find(v.rbegin(), v.rend(), logger);
  if (it != v.rend()) v.erase(std::next(it).base());
}

}  // namespace voxline::detail
