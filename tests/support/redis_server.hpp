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

#include <signal.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <hiredis/hiredis.h>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "voxline/core/result.hpp"

namespace voxline::testing {

class RedisServer {
 public:
  explicit RedisServer(std::string password = {}) : password_(std::move(password)), dir_("voxline-redis") {}
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer &) = delete;
  RedisServer &operator=(const RedisServer &) = delete;

  // Path of the redis-server binary, or empty when there is none.
  static std::string find_binary() { return find_executable("VOXLINE_REDIS_SERVER", "redis-server"); }
  // Why Redis tests cannot run here, or nullopt when they can.
  static std::optional<std::string> unavailable_reason() {
    if (find_binary().empty())
      return std::string(
          "redis-server not found (install the Debian package redis-server, or set VOXLINE_REDIS_SERVER)");
    return std::nullopt;
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
      if (!keep_port) port_ = free_loopback_port();
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
    reap(pid_, std::chrono::seconds(3));
  }
  // Abrupt death (SIGKILL): clients see reset connections and refused connects.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reap(pid_, std::chrono::seconds(5));
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
    auto pid = spawn_quiet(std::move(args));
    if (!pid.ok()) return pid.status();
    pid_ = *pid;
    Status ready = wait_ready(
        pid_, "redis-server",
        [&] {
          auto pong = command({"PING"});
          return pong.ok() && *pong == "PONG";
        },
        [&] { return read_text_file(log_path()); });
    if (ready.code() == StatusCode::kTimeout) kill();
    return ready;
  }

  std::string password_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace voxline::testing
