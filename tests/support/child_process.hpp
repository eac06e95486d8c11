// File: child_process.hpp
// The pieces every test server fixture (RedisServer, NghttpxProxy) needs to run a real server
// binary as a child: find it ($VAR or PATH), pick a free 127.0.0.1 port, start it without a shell
// with stdin/stdout on /dev/null, wait until it is ready (or report that it exited at start), and
// reap it with a grace period before SIGKILL.
//
//   const std::string bin = find_executable("VOXLINE_REDIS_SERVER", "redis-server");
//   auto pid = spawn_quiet(bin, {bin, "--port", std::to_string(port)});
//   Status s = wait_ready(*pid, "redis-server", [&] { return ping_ok(); }, [&] { return log(); });
//
// Thread-safety: free functions; a pid is driven by one thread.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "voxline/core/result.hpp"

extern char **environ;

namespace voxline::testing {

// CI=true: a missing server binary is a failure, never a skip.
inline bool in_ci() {
  const char *ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// $env_var when set (empty if not executable), else `name` on PATH followed by extra_dirs
// ("a:b"); empty when there is none.
inline std::string find_executable(const char *env_var, const std::string &name,
                                   const std::string &extra_dirs = {}) {
  const char *env = std::getenv(env_var);
  if (env != nullptr && *env != '\0') return ::access(env, X_OK) == 0 ? std::string(env) : std::string();
  const char *path = std::getenv("PATH");
  std::string search = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  if (!extra_dirs.empty()) search += ":" + extra_dirs;
  std::stringstream dirs(search);
  std::string d;
  while (std::getline(dirs, d, ':')) {
    const std::string candidate = (d.empty() ? "." : d) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// A loopback port that was free a moment ago (0 on failure); callers retry on a start failure.
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

// Starts argv (argv[0] is the binary path) without a shell; stdin and stdout go to /dev/null.
inline Result<pid_t> spawn_quiet(std::vector<std::string> args) {
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return internal_error("posix_spawn " + args[0] + " failed: " + std::to_string(rc));
  return pid;
}

// Waits up to 10 s for ready() to hold; if the child exits first (port taken, bad arguments) pid
// becomes 0 and the error carries log(). On a timeout the child is left running for the caller.
template <typename Ready, typename Log>
Status wait_ready(pid_t &pid, const std::string &what, Ready ready, Log log) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = 0;
      return unavailable(what + " exited at start; log:\n" + log());
    }
    if (ready()) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return timeout_error(what + " was not ready within 10 s; log:\n" + log());
}

// Waits up to `grace` for the child to exit (after the caller's signal), then SIGKILLs it; pid
// becomes 0.
inline void reap(pid_t &pid, std::chrono::seconds grace) {
  if (pid <= 0) return;
  const auto until = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || r < 0) {
      pid = 0;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  pid = 0;
}

// Runs argv[0] (searched on PATH) with the rest of argv and this process's environment, waits for
// it, and returns its exit status (1, with a line on stderr, when it cannot start or dies of a
// signal). For test drivers that start a server and then run a program against it.
inline int run_to_exit(char **argv) {
  pid_t pid = 0;
  if (const int rc = ::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv, environ); rc != 0) {
    std::fprintf(stderr, "cannot start %s: %s\n", argv[0], std::strerror(rc));
    return 1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::fprintf(stderr, "%s died with signal %d\n", argv[0], WTERMSIG(status));
  return 1;
}

inline std::string read_text_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace voxline::testing
