// File: nghttpx_proxy.hpp
// NghttpxProxy: a real `nghttpx` (Debian nghttp2-proxy) as a TLS front with HTTP/2 over ALPN for
// a plain HTTP/1.1 backend (voxline-sim), for tests of HTTP/2 multiplexing and connection reuse.
// It listens on a free 127.0.0.1 port with the given certificate, is started without a shell
// (posix_spawn, --single-process so one pid is all there is) and is killed by that pid in the
// destructor. Its access log has one line per stream: "<client port> <alpn> <status> <bytes> <path>",
// so a test can count the client connections the proxy saw.
//
//   if (!nghttpx_tests_can_run()) return;          // fails instead under CI=true
//   NghttpxProxy proxy;
//   REQUIRE(proxy.start(sim->port(), cert, key).ok());
//   request.url = proxy.url("/test/sse");           // https://localhost:PORT/test/sse
//   auto lines = proxy.access_log();               // after the streams ended
//
// The binary is $VOXLINE_NGHTTPX or `nghttpx` on PATH (Debian installs it in /usr/sbin).
// Thread-safety: one thread drives a NghttpxProxy.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"
#include "voxline/core/result.hpp"

namespace voxline::testing {

class NghttpxProxy {
 public:
  struct AccessLine {
    int client_port = 0;
    std::string alpn;  // "h2" or "http/1.1"
    int status = 0;
    long body_bytes = 0;
    std::string path;
  };

  NghttpxProxy() : dir_("voxline-nghttpx") {}
  ~NghttpxProxy() { stop(); }
  NghttpxProxy(const NghttpxProxy &) = delete;
  NghttpxProxy &operator=(const NghttpxProxy &) = delete;

  // $VOXLINE_NGHTTPX, or nghttpx on PATH or in the sbin dirs Debian installs it in.
  static std::string find_binary() {
    return find_executable("VOXLINE_NGHTTPX", "nghttpx", "/usr/sbin:/usr/local/sbin");
  }
  static std::optional<std::string> unavailable_reason() {
    if (find_binary().empty())
      return std::string(
          "nghttpx not found (install the Debian package nghttp2-proxy, or set VOXLINE_NGHTTPX)");
    return std::nullopt;
  }
  // Starts in front of 127.0.0.1:backend_port and waits until the frontend accepts connections.
  Status start(int backend_port, const std::string &cert_file, const std::string &key_file) {
    if (pid_ > 0) return failed_precondition("nghttpx already running");
    if (!dir_.ok()) return internal_error("could not create a temp dir for nghttpx");
    const std::string bin = find_binary();
    if (bin.empty()) return unavailable(*unavailable_reason());
    Status last = internal_error("nghttpx never started");
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_loopback_port();
      if (port_ == 0) return internal_error("no free loopback port");
      last = spawn_and_wait(bin, backend_port, cert_file, key_file);
      if (last.ok()) return last;
    }
    return last;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    reap(pid_, std::chrono::seconds(3));
  }

  int port() const { return port_; }
  // https://localhost:PORT<path>: the test certificate names localhost and 127.0.0.1.
  std::string url(const std::string &path, const std::string &host = "localhost") const {
    return "https://" + host + ":" + std::to_string(port_) + path;
  }

  // The access log so far (a line is written when its stream ends).
  std::vector<AccessLine> access_log() const {
    std::vector<AccessLine> out;
    std::ifstream in(dir_.file("access.log"));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      AccessLine a;
      ls >> a.client_port >> a.alpn >> a.status >> a.body_bytes >> a.path;
      if (ls) out.push_back(a);
    }
    return out;
  }
  // Client connections seen in the access log (distinct client ports).
  size_t client_connections() const {
    std::set<int> ports;
    for (const auto &a : access_log()) ports.insert(a.client_port);
    return ports.size();
  }
  std::string error_log() const { return read_text_file(dir_.file("error.log")); }

 private:
  bool accepting() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return ok;
  }
  Status spawn_and_wait(const std::string &bin, int backend_port, const std::string &cert,
                        const std::string &key) {
    // --conf=/dev/null: Debian's /etc/nghttpx/nghttpx.conf would override the ports.
    std::vector<std::string> args = {bin,
                                     "--conf=/dev/null",
                                     "--frontend=127.0.0.1," + std::to_string(port_),
                                     "--backend=127.0.0.1," + std::to_string(backend_port),
                                     "--workers=1",
                                     "--single-process",
                                     "--no-ocsp",
                                     "--accesslog-file=" + dir_.file("access.log"),
                                     "--accesslog-format=$remote_port $alpn $status $body_bytes_sent $path",
                                     "--errorlog-file=" + dir_.file("error.log"),
                                     key,
                                     cert};
    auto pid = spawn_quiet(std::move(args));
    if (!pid.ok()) return pid.status();
    pid_ = *pid;
    Status ready = wait_ready(
        pid_, "nghttpx", [&] { return accepting(); }, [&] { return error_log(); });
    if (ready.code() == StatusCode::kTimeout) stop();
    return ready;
  }

  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = 0;
};

// True when nghttpx exists. Otherwise: under CI=true the test fails; elsewhere it says so loudly
// and the caller returns, skipping the test.
inline bool nghttpx_tests_can_run() {
  const auto why = NghttpxProxy::unavailable_reason();
  if (!why) return true;
  if (in_ci()) FAIL("CI=true and the HTTP/2 integration tests cannot run: " << *why);
  std::fprintf(stderr, "\n**********\n*** WARNING: HTTP/2 integration test SKIPPED: %s\n**********\n\n",
               why->c_str());
  MESSAGE("SKIPPED: " << *why);
  return false;
}

}  // namespace voxline::testing
