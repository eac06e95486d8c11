// voxline-sim [--host H] [--port N] [--scenario file.json] [--tls-cert f --tls-key f] [--api-key k]
//             [--log-level LEVEL]
// Serves the simulator until SIGINT/SIGTERM; prints "listening on HOST:PORT" once ready.
// --help prints the usage to stdout (exit 0); a bad argument prints it to stderr (exit 2).
// Records nothing (no one can read them from outside the process) and raises its open-file
// limit to the hard limit, so one process serves thousands of connections in bounded memory.
#include <sys/resource.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "voxline/core/log.hpp"
#include "voxline_sim/simulator.hpp"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

constexpr const char *kUsage =
    "usage: voxline-sim [--host H] [--port N] [--scenario file.json] [--tls-cert cert.pem --tls-key "
    "key.pem]\n"
    "                   [--api-key KEY] [--log-level LEVEL]\n"
    "  --host H           address to listen on (default 127.0.0.1)\n"
    "  --port N           port to listen on; 0 picks a free one (default 0)\n"
    "  --scenario FILE    scripted conversation and faults (JSON)\n"
    "  --tls-cert/--tls-key  serve TLS with this certificate and key (PEM)\n"
    "  --api-key KEY      require this key from clients\n"
    "  --log-level LEVEL  log to stderr from LEVEL up: trace, debug, info, warn (default), error, off\n";

int usage_error(const std::string &why) {
  std::fprintf(stderr, "voxline-sim: %s\n%s", why.c_str(), kUsage);
  return 2;
}

// lws sizes its connection table from RLIMIT_NOFILE when the context is created, so this runs
// first. A soft limit of 1024 (a common default) would cap the simulator near 1000 sockets.
void raise_open_file_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
    std::fprintf(stderr, "voxline-sim: cannot raise the open-file limit to %llu: %s\n",
                 static_cast<unsigned long long>(rl.rlim_max), std::strerror(errno));
}

}  // namespace

int main(int argc, char **argv) {
  voxline::sim::SimOptions opts;
  voxline::LogLevel log_level = voxline::LogLevel::kWarn;
  opts.max_recorded = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](std::string &out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--port" && next(v)) {
      try {
        opts.port = std::stoi(v);
      } catch (...) {
        return usage_error("bad port '" + v + "'");
      }
    } else if (a == "--log-level" && next(v)) {
      auto level = voxline::parse_log_level(v);
      if (!level.ok()) return usage_error(level.status().message());
      log_level = *level;
    } else if (a == "--host" && next(v)) {
      opts.host = v;
    } else if (a == "--scenario" && next(v)) {
      std::ifstream in(v);
      if (!in) {
        std::fprintf(stderr, "voxline-sim: cannot read scenario file %s\n", v.c_str());
        return 1;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      opts.scenario_json = ss.str();
    } else if (a == "--tls-cert" && next(v)) {
      opts.tls_cert_file = v;
    } else if (a == "--tls-key" && next(v)) {
      opts.tls_key_file = v;
    } else if (a == "--api-key" && next(v)) {
      opts.api_key = v;
    } else {
      return usage_error("bad argument '" + a + "'");
    }
  }
  voxline::default_logger().set_sink(voxline::Logger::stderr_sink());
  voxline::default_logger().set_level(log_level);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  raise_open_file_limit();

  auto sim = voxline::sim::Simulator::start(opts);
  if (!sim.ok()) {
    std::fprintf(stderr, "voxline-sim: %s\n", sim.status().to_string().c_str());
    return 1;
  }
  std::printf("listening on %s:%d\n", opts.host.c_str(), (*sim)->port());
  std::fflush(stdout);
  while (g_stop == 0) {
    struct timespec ts {
      0, 50 * 1000 * 1000
    };
    nanosleep(&ts, nullptr);
  }
  std::fprintf(stderr, "voxline-sim: stopping (%zu open connections)\n", (*sim)->open_connections());
  return 0;
}
