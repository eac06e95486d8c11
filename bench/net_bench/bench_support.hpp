// File: bench_support.hpp
// Measuring helpers shared by the net_bench sections: a server program run as a child process
// (voxline-sim, or net_bench's own raw floor server) on a free loopback port, thread and process
// CPU clocks, RSS, latency percentiles, and the open-file limit.
//
//   auto sim = ServerChild::start("voxline-sim", {VOXLINE_SIM_EXE, "--scenario", file});
//   clockid_t loop = thread_cpu_clock();          // called on the thread to be measured
//   double busy = cpu_seconds(loop);              // read from any thread
//
// Ownership: a ServerChild owns its process; destroying it sends SIGTERM and reaps it (SIGKILL
// after 5 s). Thread-safety: plain functions; a ServerChild is driven by one thread.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "voxline/core/result.hpp"

namespace voxline::bench {

class ServerChild {
 public:
  // Runs `argv` (argv[0] = the binary) with "--port P" appended for a free loopback port P and
  // waits until P accepts connections. UNAVAILABLE (with why) when it exits or never listens.
  static Result<std::unique_ptr<ServerChild>> start(const std::string &what, std::vector<std::string> argv);
  ~ServerChild();
  ServerChild(const ServerChild &) = delete;
  ServerChild &operator=(const ServerChild &) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  ServerChild(pid_t pid, int port) : pid_(pid), port_(port) {}
  pid_t pid_;
  int port_;
};

// "100,500" -> {100, 500}; false (out unspecified) unless `text` is a non-empty comma-separated
// list of decimal integers within [lo, hi]. For the benches' list flags (--streams, --calls, ...).
bool parse_int_list(const std::string &text, std::vector<int> &out, long lo, long hi);

// This program's own path (for starting itself as the floor server).
std::string self_exe();

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force.
size_t raise_open_file_limit();

// The CPU-time clock of the calling thread (pthread_getcpuclockid), readable from any thread.
clockid_t thread_cpu_clock();
double cpu_seconds(clockid_t clock);
// utime + stime of a whole process (children excluded) from /proc/PID/stat.
double process_cpu_seconds(pid_t pid);
// VmRSS in KiB; pid 0 = this process.
size_t rss_kb(pid_t pid = 0);
// Hands freed heap back to the kernel so the next RSS baseline is not hiding the last run's.
void trim_heap();
double now_ms();  // steady_clock, ms since its epoch
long this_thread_tid();

struct Latency {
  double p50 = 0, p99 = 0, max = 0;
  size_t n = 0;
};
Latency latency_of(std::vector<double> samples_ms);

}  // namespace voxline::bench
