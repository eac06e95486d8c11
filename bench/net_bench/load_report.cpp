// Table rows of the paced call load (see load_report.hpp).
#include "net_bench/load_report.hpp"

#include <cstdio>
#include <string>

namespace voxline::bench {
namespace {

std::string latency_text(const Latency &l) {
  if (l.n == 0) return "-";
  char b[64];
  std::snprintf(b, sizeof b, "%.2f/%.2f/%.1f", l.p50, l.p99, l.max);
  return b;
}

}  // namespace

void print_load_header() {
  std::printf("\n%-20s %5s %3s %6s %7s %5s %6s | %-17s | %-17s | %6s | %6s %7s %5s | %4s  %s\n", "client",
              "calls", "fr", "loop%", "msg/s", "paced", "us/msg", "Clear->written ms", "Clear->Cleared ms",
              "SSE us", "KB/con", "simMB", "sim%", "errs", "note");
  std::printf("%-20s %5s %3s %6s %7s %5s %6s | %-17s | %-17s | %6s | %6s %7s %5s |\n", "", "", "ms", "", "",
              "", "", "p50/p99/max", "p50/p99/max", "/chunk", "", "", "");
  std::printf("%s\n", std::string(150, '-').c_str());
}

void print_load_row(const LoadRow &r) {
  char sse[32] = "-";
  if (r.sse_us_per_chunk > 0) std::snprintf(sse, sizeof sse, "%.1f", r.sse_us_per_chunk);
  std::printf(
      "%-20s %5d %3d %5.1f%% %7.0f %4.0f%% %6.2f | %-17s | %-17s | %6s | %6.1f %7.1f %4.0f%% | %4zu  %s\n",
      r.client.c_str(), r.calls, r.frame_ms, 100.0 * r.loop_cpu, r.msgs_per_s,
      r.expected_msgs > 0 ? 100.0 * r.msgs_per_s / r.expected_msgs : 0.0, r.us_per_msg,
      latency_text(r.clear_written).c_str(), latency_text(r.clear_answered).c_str(), sse, r.rss_kb_per_conn,
      r.server_rss_mb, 100.0 * r.server_cpu, r.errors, r.note.c_str());
  std::fflush(stdout);
}

}  // namespace voxline::bench
