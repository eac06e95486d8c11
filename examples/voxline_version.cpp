// voxline-version: prints the library version and the core health report.
// Exit status 0 when every check passes, 1 when one fails, 2 for a usage error.
#include <cstdio>
#include <string>

#include "voxline.h"
#include "voxline/core/health.hpp"
#include "voxline/core/log.hpp"

namespace {

constexpr const char *kUsage =
    "usage: voxline-version [--json] [--log-level LEVEL]\n"
    "  --json             print the health report as JSON\n"
    "  --log-level LEVEL  log to stderr from LEVEL up: trace, debug, info, warn (default), error, off\n";

int usage_error(const std::string &why) {
  std::fprintf(stderr, "voxline-version: %s\n%s", why.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  bool as_json = false;
  voxline::LogLevel level = voxline::LogLevel::kWarn;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--json") {
      as_json = true;
    } else if (arg == "--log-level" && i + 1 < argc) {
      auto parsed = voxline::parse_log_level(argv[++i]);
      if (!parsed.ok()) return usage_error(parsed.status().message());
      level = *parsed;
    } else {
      return usage_error("bad argument '" + arg + "'");
    }
  }
  voxline::default_logger().set_sink(voxline::Logger::stderr_sink());
  voxline::default_logger().set_level(level);

  const voxline::HealthReport report = voxline::core_health_report();
  if (as_json) {
    std::printf("%s\n", report.to_json().c_str());
  } else {
    std::printf("voxline %s\n%s", voxline_version(), report.to_text().c_str());
    std::printf("health: %s\n", report.ok() ? "ok" : "FAILING");
  }
  return report.ok() ? 0 : 1;
}
