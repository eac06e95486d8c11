// voxline-version: prints the library version and the core health report.
// Exit status 0 when every check passes. Usage: voxline-version [--json]
#include <cstdio>
#include <cstring>

#include "voxline.h"
#include "voxline/core/health.hpp"

int main(int argc, char **argv) {
  const bool as_json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  const voxline::HealthReport report = voxline::core_health_report();
  if (as_json) {
    std::printf("%s\n", report.to_json().c_str());
  } else {
    std::printf("voxline %s\n%s", voxline_version(), report.to_text().c_str());
    std::printf("health: %s\n", report.ok() ? "ok" : "FAILING");
  }
  return report.ok() ? 0 : 1;
}
