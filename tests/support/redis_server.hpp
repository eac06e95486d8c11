// File: redis_server.hpp
// RedisServer: a real `redis-server` for integration tests and benchmarks, on a free 127.0.0.1
// port with its own temp dir (no persistence), started without a shell (posix_spawn) and
// stopped by the destructor. kill() (SIGKILL), restart() (same port), pause()/resume()
// (SIGSTOP/SIGCONT: a hung server) drive fault tests; command() talks to it directly.
//
//   if (auto why = RedisServer::unavailable_reason()) { ...skip or fail... }
//   RedisServer redis;
//   REQUIRE(redis.start().ok());
//   store_options.url = redis.url();
//
// The binary is $VOXLINE_REDIS_SERVER or `redis-server` on PATH.
// Thread-safety: one thread drives a RedisServer; command() may be called from any thread.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>

#include "support/temp_dir.hpp"
#include "voxline/core/result.hpp"

extern char **environ;

namespace voxline::testing {

class RedisServer {
 public:
  explicit RedisServer(std::string password = {}) : password_(std::move(password)), dir_("voxline-redis") {}
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer &) = delete;
  RedisServer &operator=(const RedisServer &) = delete;

  // Path of the redis-server binary, or empty when there is none.
  static std::string find_binary() {
    const char *env = std::getenv("VOXLINE_REDIS_SERVER");
    if (env != nullptr && *env != '\0') return ::access(env, X_OK) == 0 ? std::string(env) : std::string();
    const char *path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string d;
    while (std::getline(dirs, d, ':')) {
      const std::string candidate = (d.empty() ? "." : d) + "/redis-server";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return {};
  }
  // Why Redis tests cannot run here, or nullopt when they can.
  static std::optional<std::string> unavailable_reason() {
    if (find_binary().empty())
      return std::string(
          "redis-server not found (install the Debian package redis-server, or set VOXLINE_REDIS_SERVER)");
    return std::nullopt;
  }
  // CI=true: missing Redis is a failure, never a skip.
  static bool in_ci() {
    const char *ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
  }

  // Starts on a fresh free port (the first time) or on the same port (after kill/stop), and waits
  // until it answers PING.
  Status start() {
    if (pid_ > 0) return failed_precondition("redis-server already running");
    if (!dir_.ok()) return internal_error("could not create a temp dir for redis-server");
    const std::string bin = find_binary();
    if (bin.empty()) return unavailable(*unavailable_reason());
    const bool keep_port = port_ != 0;
    Status last = internal_error("redis-server never started");
    for (int attempt = 0; attempt < (keep_port ? 1 : 5); ++attempt) {
      if (!keep_port) port_ = free_port();
      if (port_ == 0) return internal_error("no free loopback port");
      last = spawn_and_wait(bin);
      if (last.ok()) return last;
    }
    return last;
  }
  // Clean stop (SIGTERM, then SIGKILL after 3 s); the port is kept for start()/restart().
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
    reap(std::chrono::seconds(3));
  }
  // Abrupt death (SIGKILL): clients see reset connections and refused connects.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reap(std::chrono::seconds(5));
  }
  Status restart() {
    stop();
    return start();
  }
  // A hung server: the socket accepts and reads, nothing answers until resume().
  void pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string url(int db = 0) const {
    return "redis://" + (password_.empty() ? std::string() : ":" + password_ + "@") +
           "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }
  std::string log_path() const { return dir_.file("redis.log"); }

  // Runs one command on a fresh connection to database `db`; the reply as text (arrays joined
  // by '\n', nil as "(nil)").
  Result<std::string> command(const std::vector<std::string> &argv, int db = 0) const {
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port_, timeval{2, 0});
    if (c == nullptr) return unavailable("redis connect: out of memory");
    if (c->err != 0) {
      std::string e = c->errstr;
      redisFree(c);
      return unavailable("redis connect: " + e);
    }
    redisSetTimeout(c, timeval{5, 0});
    Result<std::string> out = internal_error("unset");
    if (!password_.empty()) out = run(c, {"AUTH", password_});
    if (db != 0 && (password_.empty() || out.ok())) out = run(c, {"SELECT", std::to_string(db)});
    if ((password_.empty() && db == 0) || out.ok()) out = run(c, argv);
    redisFree(c);
    return out;
  }

 private:
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0)
      port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
  }

  static Result<std::string> run(redisContext *c, const std::vector<std::string> &argv) {
    std::vector<const char *> ptrs;
    std::vector<size_t> lens;
    for (const auto &a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    auto *r = static_cast<redisReply *>(
        redisCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
    if (r == nullptr) return unavailable(std::string("redis command failed: ") + c->errstr);
    std::string text;
    Status err;
    switch (r->type) {
      case REDIS_REPLY_ERROR: err = internal_error(std::string(r->str, r->len)); break;
      case REDIS_REPLY_INTEGER: text = std::to_string(r->integer); break;
      case REDIS_REPLY_NIL: text = "(nil)"; break;
      case REDIS_REPLY_ARRAY:
        for (size_t i = 0; i < r->elements; ++i) {
          if (i > 0) text += "\n";
          if (r->element[i]->str != nullptr) text.append(r->element[i]->str, r->element[i]->len);
        }
        break;
      default: text.assign(r->str != nullptr ? r->str : "", r->str != nullptr ? r->len : 0);
    }
    freeReplyObject(r);
    if (!err.ok()) return err;
    return text;
  }

  Status spawn_and_wait(const std::string &bin) {
    std::vector<std::string> args = {bin,
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--protected-mode",
                                     "yes",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_.path(),
                                     "--logfile",
                                     log_path(),
                                     "--daemonize",
                                     "no"};
    if (!password_.empty()) {
      args.push_back("--requirepass");
      args.push_back(password_);
    }
    std::vector<char *> argv;
    for (auto &a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return internal_error("posix_spawn redis-server failed: " + std::to_string(rc));
    pid_ = pid;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: port taken or bad config
        pid_ = 0;
        return unavailable("redis-server exited at start; log:\n" + read_log());
      }
      auto pong = command({"PING"});
      if (pong.ok() && *pong == "PONG") return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill();
    return timeout_error("redis-server did not answer PING within 10 s; log:\n" + read_log());
  }

  void reap(std::chrono::seconds grace) {
    const auto until = std::chrono::steady_clock::now() + grace;
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || r < 0) {
        pid_ = 0;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  std::string read_log() const {
    std::ifstream in(log_path());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string password_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace voxline::testing
