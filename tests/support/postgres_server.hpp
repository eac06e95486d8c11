// File: postgres_server.hpp
// PostgresServer: a real PostgreSQL server for integration tests and benchmarks: `initdb` into a
// fresh temp dir, then `postgres` on a free 127.0.0.1 port with its unix socket in that dir,
// fsync off (a test cluster need not survive power loss; synchronous_commit stays on, so a commit
// has reached the OS before it returns and survives stop_immediate()). PostgreSQL refuses root:
// when this process is root, initdb and postgres run as the unprivileged user `nobody` (or
// $VOXLINE_PG_USER) and the temp dir is handed to that user. stop() is a fast shutdown (SIGINT),
// stop_immediate() a crash-like one (SIGQUIT: backends die, the next start recovers from WAL);
// start() again keeps the port and the data. An attached child dies with this process
// (PR_SET_PDEATHSIG); detach() leaves it running for another process to stop (stop_detached()).
//
//   if (auto why = PostgresServer::unavailable_reason()) { ...skip or fail... }
//   PostgresServer pg;
//   REQUIRE(pg.start().ok());
//   auto url = pg.create_database("t");   // "postgresql://postgres@127.0.0.1:<port>/t_<pid>_<n>"
//
// Binaries: $VOXLINE_PG_BINDIR, else the newest /usr/lib/postgresql/<v>/bin, else PATH.
// Thread-safety: one thread drives a PostgresServer; admin() may be called from any thread.
#pragma once

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "voxline/core/result.hpp"

namespace voxline::testing {

class PostgresServer {
 public:
  PostgresServer() : dir_(std::make_unique<TempDir>("voxline-pg")) {}
  // Attaches to a server another process started (the ctest fixture): stop() is then a no-op.
  PostgresServer(int port, std::string dir) : port_(port), attached_dir_(std::move(dir)) {}
  ~PostgresServer() {
    if (!detached_) {
      stop();
    } else {
      dir_->keep();  // the directory stays for the server; stop_detached() removes it
    }
  }
  PostgresServer(const PostgresServer &) = delete;
  PostgresServer &operator=(const PostgresServer &) = delete;

  // The directory holding initdb and postgres, or empty.
  static std::string bin_dir() {
    const char *env = std::getenv("VOXLINE_PG_BINDIR");
    if (env != nullptr && *env != '\0') {
      const std::string d(env);
      return ::access((d + "/postgres").c_str(), X_OK) == 0 && ::access((d + "/initdb").c_str(), X_OK) == 0
                 ? d
                 : std::string();
    }
    std::error_code ec;
    std::vector<std::string> versions;
    for (const auto &e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      if (::access((e.path().string() + "/bin/postgres").c_str(), X_OK) == 0)
        versions.push_back(e.path().filename().string());
    }
    std::sort(versions.begin(), versions.end(), [](const std::string &a, const std::string &b) {
      return std::atoi(a.c_str()) < std::atoi(b.c_str());
    });
    if (!versions.empty()) return "/usr/lib/postgresql/" + versions.back() + "/bin";
    const std::string initdb = find_executable("VOXLINE_PG_INITDB", "initdb");
    if (initdb.empty()) return {};
    const std::string d = initdb.substr(0, initdb.rfind('/'));
    return ::access((d + "/postgres").c_str(), X_OK) == 0 ? d : std::string();
  }
  // Why PostgreSQL tests cannot run here, or nullopt when they can.
  static std::optional<std::string> unavailable_reason() {
    if (bin_dir().empty())
      return std::string(
          "PostgreSQL server binaries (initdb, postgres) not found (install the Debian package postgresql, "
          "or set VOXLINE_PG_BINDIR)");
    if (::geteuid() == 0 && run_as_user() == nullptr)
      return std::string("running as root and the unprivileged user for PostgreSQL (") + user_name() +
             ") does not exist (set VOXLINE_PG_USER)";
    return std::nullopt;
  }

  // initdb on the first call, then starts postgres (on a fresh free port the first time, the same
  // port after a stop) and waits until it accepts connections.
  Status start() {
    if (pid_ > 0) return failed_precondition("postgres already running");
    if (!attached_dir_.empty()) return failed_precondition("an attached server is started by its owner");
    if (!dir_->ok()) return internal_error("could not create a temp dir for postgres");
    if (auto why = unavailable_reason()) return unavailable(*why);
    if (!initialised_) {
      VOXLINE_RETURN_IF_ERROR(initdb());
      initialised_ = true;
    }
    const bool keep_port = port_ != 0;
    Status last = internal_error("postgres never started");
    for (int attempt = 0; attempt < (keep_port ? 3 : 5); ++attempt) {
      if (!keep_port) port_ = free_loopback_port();
      if (port_ == 0) return internal_error("no free loopback port");
      last = spawn_and_wait();
      if (last.ok()) return last;
      if (keep_port) std::this_thread::sleep_for(std::chrono::milliseconds(200));  // old sockets closing
    }
    return last;
  }
  // Fast shutdown: open transactions are rolled back, clients are disconnected.
  void stop() { signal_and_reap(SIGINT, std::chrono::seconds(15)); }
  // Immediate shutdown: every backend exits at once, as in a crash; restart recovers from WAL.
  void stop_immediate() { signal_and_reap(SIGQUIT, std::chrono::seconds(10)); }
  Status restart() {
    stop();
    return start();
  }
  // Leaves the server (and its directory) running when this object goes away; call before start().
  void detach() { detached_ = true; }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::string &dir() const { return attached_dir_.empty() ? dir_->path() : attached_dir_; }
  std::string log_path() const { return dir() + "/postgres.log"; }
  std::string url(const std::string &db = "postgres") const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }

  // Runs `sql` (simple protocol, no parameters) on a fresh superuser connection to `db`; the
  // first column of the first row as text ("" when none).
  Result<std::string> admin(const std::string &sql, const std::string &db = "postgres") const {
    const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) +
                                 " user=postgres dbname=" + db +
                                 " connect_timeout=5 application_name=voxline-test-admin";
    PGconn *c = PQconnectdb(conninfo.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      std::string e = PQerrorMessage(c);
      PQfinish(c);
      return unavailable("postgres admin connect: " + e);
    }
    PGresult *r = PQexec(c, sql.c_str());
    Result<std::string> out = std::string();
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK) {
      out = PQntuples(r) > 0 && PQnfields(r) > 0 ? std::string(PQgetvalue(r, 0, 0)) : std::string();
    } else if (st != PGRES_COMMAND_OK) {
      out = internal_error("postgres admin '" + sql + "': " + PQresultErrorMessage(r));
    }
    PQclear(r);
    PQfinish(c);
    return out;
  }

  // Creates a database no other test uses (optionally a copy of `template_db`); its URL.
  Result<std::string> create_database(const std::string &prefix, const std::string &template_db = {}) const {
    static std::atomic<int> counter{0};
    const std::string name = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    std::string sql = "CREATE DATABASE " + name;
    if (!template_db.empty()) sql += " TEMPLATE " + template_db;
    VOXLINE_RETURN_IF_ERROR(admin(sql).status());
    return url(name);
  }
  Status drop_database(const std::string &name) const {
    return admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").status();
  }

  // Stops a server another process detached: SIGINT, then SIGQUIT and SIGKILL if it lingers;
  // removes its directory.
  static void stop_detached(pid_t pid, const std::string &dir) {
    if (pid > 0) {
      for (int sig : {SIGINT, SIGQUIT, SIGKILL}) {
        if (::kill(pid, sig) != 0) break;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(sig == SIGINT ? 15 : 5);
        while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < until) {
          ::waitpid(pid, nullptr, WNOHANG);
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (::kill(pid, 0) != 0) break;
      }
    }
    std::error_code ec;
    if (!dir.empty() && dir.find("voxline-pg") != std::string::npos) std::filesystem::remove_all(dir, ec);
  }

 private:
  static const char *user_name() {
    const char *u = std::getenv("VOXLINE_PG_USER");
    return u != nullptr && *u != '\0' ? u : "nobody";
  }
  static const passwd *run_as_user() { return ::getpwnam(user_name()); }

  // fork + exec `args` (as the unprivileged user when root) with stderr (and stdout) to `log`.
  Result<pid_t> spawn(std::vector<std::string> args, const std::string &log, bool die_with_parent) {
    uid_t uid = 0;
    gid_t gid = 0;
    const bool drop = ::geteuid() == 0;
    if (drop) {
      const passwd *pw = run_as_user();
      if (pw == nullptr) return unavailable(*unavailable_reason());
      uid = pw->pw_uid;
      gid = pw->pw_gid;
    }
    std::vector<char *> argv;
    for (auto &a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return internal_error("fork failed");
    if (pid == 0) {
      // Only async-signal-safe calls until exec.
      if (drop && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) ::_exit(126);
      if (die_with_parent) {
        ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
        if (::getppid() != parent) ::_exit(125);
      } else {
        ::setsid();
      }
      const int in = ::open("/dev/null", O_RDONLY);
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (in >= 0) ::dup2(in, STDIN_FILENO);
      if (out >= 0) {
        ::dup2(out, STDOUT_FILENO);
        ::dup2(out, STDERR_FILENO);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return pid;
  }

  Status hand_to_user(const std::string &path) {
    if (::geteuid() != 0) return Status::Ok();
    const passwd *pw = run_as_user();
    if (pw == nullptr) return unavailable(*unavailable_reason());
    if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0)
      return internal_error("chown " + path + " failed");
    return Status::Ok();
  }

  Status initdb() {
    VOXLINE_RETURN_IF_ERROR(hand_to_user(dir_->path()));
    const std::string bin = bin_dir();
    const std::string log = dir_->file("initdb.log");
    auto pid = spawn({bin + "/initdb", "-D", dir_->file("data"), "-U", "postgres", "-A", "trust", "-E",
                      "UTF8", "--locale=C", "--no-sync"},
                     log, true);
    if (!pid.ok()) return pid.status();
    int status = 0;
    ::waitpid(*pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return unavailable("initdb failed (status " + std::to_string(status) + "); log:\n" +
                         read_text_file(log));
    return Status::Ok();
  }

  Status spawn_and_wait() {
    const std::string bin = bin_dir();
    auto pid = spawn({bin + "/postgres",
                      "-D",
                      dir_->file("data"),
                      "-p",
                      std::to_string(port_),
                      "-k",
                      dir_->path(),
                      "-c",
                      "listen_addresses=127.0.0.1",
                      "-c",
                      "fsync=off",
                      "-c",
                      "full_page_writes=off",
                      "-c",
                      "max_connections=200",
                      "-c",
                      "shared_buffers=32MB",
                      "-c",
                      "log_min_messages=warning",
                      "-c",
                      "log_min_error_statement=panic"},
                     log_path(), !detached_);
    if (!pid.ok()) return pid.status();
    pid_ = *pid;
    const std::string conninfo =
        "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres connect_timeout=2";
    Status ready = wait_ready(
        pid_, "postgres", [&] { return PQping(conninfo.c_str()) == PQPING_OK; },
        [&] { return read_text_file(log_path()); });
    if (ready.code() == StatusCode::kTimeout) stop_immediate();
    return ready;
  }

  void signal_and_reap(int sig, std::chrono::seconds grace) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    reap(pid_, grace);
  }

  std::unique_ptr<TempDir> dir_;
  int port_ = 0;
  pid_t pid_ = 0;
  bool initialised_ = false;
  bool detached_ = false;
  std::string attached_dir_;
};

}  // namespace voxline::testing
