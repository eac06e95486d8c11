// Server child process, CPU clocks, RSS and percentiles for net_bench (see bench_support.hpp).
#include "net_bench/bench_support.hpp"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <fstream>
#include <cstdlib>
#include <string>

#include "support/child_process.hpp"

namespace voxline::bench {
namespace {

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

Result<std::unique_ptr<ServerChild>> ServerChild::start(const std::string &what,
                                                        std::vector<std::string> argv) {
  Status last = unavailable(what + ": no free port");
  for (int attempt = 0; attempt < 3; ++attempt) {  // the free port may be taken before the child binds
    const int port = testing::free_loopback_port();
    if (port == 0) continue;
    std::vector<std::string> args = argv;
    args.push_back("--port");
    args.push_back(std::to_string(port));
    auto pid = testing::spawn_quiet(args);
    if (!pid.ok()) return pid.status();
    pid_t p = *pid;
    last = testing::wait_ready(
        p, what, [port] { return accepts_connections(port); },
        [] { return std::string("(its stderr is above)"); });
    if (last.ok()) return std::unique_ptr<ServerChild>(new ServerChild(p, port));
    if (p > 0) {
      ::kill(p, SIGKILL);
      testing::reap(p, std::chrono::seconds(5));
    }
  }
  return last;
}

ServerChild::~ServerChild() {
  ::kill(pid_, SIGTERM);
  testing::reap(pid_, std::chrono::seconds(5));
}

bool parse_int_list(const std::string &text, std::vector<int> &out, long lo, long hi) {
  out.clear();
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string::npos) j = text.size();
    char *end = nullptr;
    const std::string item = text.substr(i, j - i);
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < lo || v > hi) return false;
    out.push_back(static_cast<int>(v));
    i = j + 1;
  }
  return !out.empty();
}

std::string self_exe() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("/proc/self/exe");
}

size_t raise_open_file_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  return rl.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<size_t>(rl.rlim_cur);
}

clockid_t thread_cpu_clock() {
  clockid_t id = CLOCK_THREAD_CPUTIME_ID;
  pthread_getcpuclockid(pthread_self(), &id);
  return id;
}

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = s.rfind(')');
  if (close == std::string::npos) return 0;
  unsigned long ut = 0, st = 0;  // fields 14 and 15 (utime, stime), counted after "(comm)"
  if (std::sscanf(s.c_str() + close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) !=
      2)
    return 0;
  return static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

size_t rss_kb(pid_t pid) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/status") : "/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

void trim_heap() {
  ::malloc_trim(0);
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

long this_thread_tid() {
  return static_cast<long>(::syscall(SYS_gettid));
}

Latency latency_of(std::vector<double> v) {
  Latency l;
  l.n = v.size();
  if (v.empty()) return l;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
  };
  l.p50 = at(0.50);
  l.p99 = at(0.99);
  l.max = v.back();
  return l;
}

}  // namespace voxline::bench
