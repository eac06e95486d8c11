// Helpers for the net integration tests: handlers that record every event with bounded waits,
// and a raw TCP listener that never answers (to provoke connect / handshake / first-byte timeouts).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "voxline/core/metrics.hpp"
#include "voxline/net/http_stream.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/sse_parser.hpp"
#include "voxline/net/ws_connection.hpp"
#include "voxline_sim/simulator.hpp"

namespace voxline::nettest {

using namespace std::chrono_literals;

class WsRecorder : public WsHandler {
 public:
  void on_open(WsConnection &, const WsOpenInfo &info) override {
    std::lock_guard<std::mutex> lock(mu_);
    check_thread();
    opened_ = true;
    open_info_ = info;
    cv_.notify_all();
  }
  void on_message(WsConnection &conn, WsMessage &m) override {
    std::string data(m.data());
    {
      std::lock_guard<std::mutex> lock(mu_);
      check_thread();
      if (terminal_count_ > 0) ++after_terminal_;
      messages_.emplace_back(m.type(), data);
      cv_.notify_all();
    }
    if (echo_back_) (void)conn.send_text(data);
  }
  void on_close(WsConnection &, const WsCloseInfo &info) override {
    std::lock_guard<std::mutex> lock(mu_);
    check_thread();
    ++terminal_count_;
    close_ = info;
    cv_.notify_all();
  }
  void on_error(WsConnection &, const WsErrorInfo &info) override {
    std::lock_guard<std::mutex> lock(mu_);
    check_thread();
    ++terminal_count_;
    error_ = info;
    cv_.notify_all();
  }

  bool wait_open(std::chrono::milliseconds d = 5000ms) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, d, [&] { return opened_ || terminal_count_ > 0; }) && opened_;
  }
  bool wait_messages(size_t n, std::chrono::milliseconds d = 5000ms) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, d, [&] { return messages_.size() >= n || terminal_count_ > 0; }) &&
           messages_.size() >= n;
  }
  bool wait_terminal(std::chrono::milliseconds d = 5000ms) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, d, [&] { return terminal_count_ > 0; });
  }

  std::vector<std::pair<WsMessageType, std::string>> messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  std::optional<WsCloseInfo> close_info() {
    std::lock_guard<std::mutex> lock(mu_);
    return close_;
  }
  std::optional<WsErrorInfo> error_info() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }
  std::optional<WsOpenInfo> open_info() {
    std::lock_guard<std::mutex> lock(mu_);
    return opened_ ? std::optional<WsOpenInfo>(open_info_) : std::nullopt;
  }
  int terminal_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return terminal_count_;
  }
  bool single_thread() {
    std::lock_guard<std::mutex> lock(mu_);
    return !thread_changed_ && after_terminal_ == 0;
  }
  void set_echo_back(bool on) { echo_back_ = on; }

 private:
  void check_thread() {
    if (!thread_set_) {
      thread_ = std::this_thread::get_id();
      thread_set_ = true;
    } else if (thread_ != std::this_thread::get_id()) {
      thread_changed_ = true;
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool opened_ = false;
  WsOpenInfo open_info_;
  std::vector<std::pair<WsMessageType, std::string>> messages_;
  int terminal_count_ = 0;
  int after_terminal_ = 0;
  std::optional<WsCloseInfo> close_;
  std::optional<WsErrorInfo> error_;
  std::thread::id thread_;
  bool thread_set_ = false;
  bool thread_changed_ = false;
  std::atomic<bool> echo_back_{false};
};

class HttpRecorder : public HttpStreamHandler {
 public:
  void on_response(HttpStream &, const HttpResponseHead &head) override {
    std::lock_guard<std::mutex> lock(mu_);
    head_ = head;
    ++responses_;
    cv_.notify_all();
  }
  void on_data(HttpStream &, std::string_view chunk) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (completions_ > 0) ++after_terminal_;
    chunks_.emplace_back(chunk);
    body_.append(chunk.data(), chunk.size());
    std::vector<SseEvent> evs;
    if (sse_status_.ok()) sse_status_ = parser_.feed(chunk, evs);
    for (auto &e : evs) events_.push_back(std::move(e));
    first_data_at_ = first_data_at_.value_or(std::chrono::steady_clock::now());
    cv_.notify_all();
  }
  void on_complete(HttpStream &, const HttpCompletion &c) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++completions_;
    completion_ = c;
    completed_at_ = std::chrono::steady_clock::now();
    partial_at_end_ = parser_.has_partial_event();
    cv_.notify_all();
  }

  bool wait_complete(std::chrono::milliseconds d = 5000ms) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, d, [&] { return completions_ > 0; });
  }
  bool wait_events(size_t n, std::chrono::milliseconds d = 5000ms) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, d, [&] { return events_.size() >= n || completions_ > 0; }) &&
           events_.size() >= n;
  }
  HttpCompletion completion() {
    std::lock_guard<std::mutex> lock(mu_);
    return completion_;
  }
  std::vector<SseEvent> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::string body() {
    std::lock_guard<std::mutex> lock(mu_);
    return body_;
  }
  size_t chunk_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return chunks_.size();
  }
  int completions() {
    std::lock_guard<std::mutex> lock(mu_);
    return completions_;
  }
  int responses() {
    std::lock_guard<std::mutex> lock(mu_);
    return responses_;
  }
  bool partial_at_end() {
    std::lock_guard<std::mutex> lock(mu_);
    return partial_at_end_;
  }
  int after_terminal() {
    std::lock_guard<std::mutex> lock(mu_);
    return after_terminal_;
  }
  std::optional<std::chrono::steady_clock::time_point> first_data_at() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_data_at_;
  }
  std::chrono::steady_clock::time_point completed_at() {
    std::lock_guard<std::mutex> lock(mu_);
    return completed_at_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  HttpResponseHead head_;
  int responses_ = 0;
  std::vector<std::string> chunks_;
  std::string body_;
  SseParser parser_;
  Status sse_status_;
  std::vector<SseEvent> events_;
  int completions_ = 0;
  int after_terminal_ = 0;
  HttpCompletion completion_;
  bool partial_at_end_ = false;
  std::optional<std::chrono::steady_clock::time_point> first_data_at_;
  std::chrono::steady_clock::time_point completed_at_;
};

// A TCP listener on 127.0.0.1 that accepts (kernel-side) but never reads or writes: clients
// connect, send their request and then wait forever for an answer.
class SilentListener {
 public:
  // backlog_full: make the accept queue overflow so further SYNs are dropped (connect hangs).
  explicit SilentListener(bool backlog_full = false) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a);
    ::listen(fd_, backlog_full ? 0 : 64);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr *>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (backlog_full) {
      // Fill the accept queue (never accepted) so the next handshake SYN is dropped.
      for (int i = 0; i < 4; ++i) {
        int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ::connect(c, reinterpret_cast<sockaddr *>(&a), sizeof a);
        fillers_.push_back(c);
      }
      std::this_thread::sleep_for(50ms);
    }
  }
  ~SilentListener() {
    for (int c : fillers_) ::close(c);
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> fillers_;
};

// A websocket "server" that completes the upgrade handshake for one client and then never reads
// again (and never answers a close), so the client's socket buffers fill up: provokes the send
// and close deadlines. Runs on its own thread; the destructor stops it.
class HandshakeThenSilentServer {
 public:
  // `after_handshake`: raw bytes (server frames) written right after the 101; when given, the
  // server keeps reading what the client sends (received()) instead of never reading again.
  explicit HandshakeThenSilentServer(std::string after_handshake = {})
      : after_handshake_(std::move(after_handshake)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a);
    ::listen(fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr *>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~HandshakeThenSilentServer() {
    stop_ = true;
    thread_.join();
    if (client_ >= 0) ::close(client_);
    ::close(fd_);
  }
  int port() const { return port_; }
  // What the client sent after the handshake (only with `after_handshake`).
  std::string received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  // Resets the accepted connection (RST) and waits until that happened.
  bool reset_connection(std::chrono::milliseconds d = 2000ms) {
    reset_requested_ = true;
    const auto until = std::chrono::steady_clock::now() + d;
    while (!reset_done_ && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
    return reset_done_;
  }

 private:
  void run() {
    pollfd p{fd_, POLLIN, 0};
    while (!stop_ && ::poll(&p, 1, 20) <= 0) {
    }
    if (stop_) return;
    client_ = ::accept(fd_, nullptr, nullptr);
    int small = 4096;  // a small receive buffer fills quickly
    ::setsockopt(client_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    std::string req;
    char buf[2048];
    while (!stop_ && req.find("\r\n\r\n") == std::string::npos) {
      pollfd c{client_, POLLIN, 0};
      if (::poll(&c, 1, 20) <= 0) continue;
      ssize_t n = ::read(client_, buf, sizeof buf);
      if (n <= 0) return;
      req.append(buf, static_cast<size_t>(n));
    }
    std::string key;
    const std::string marker = "sec-websocket-key:";
    std::string lower = req;
    for (auto &ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const size_t k = lower.find(marker);
    if (k != std::string::npos) {
      size_t b = k + marker.size();
      while (req[b] == ' ') ++b;
      key = req.substr(b, req.find("\r\n", b) - b);
    }
    const std::string magic = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char *>(magic.data()), magic.size(), digest);
    unsigned char accept[64] = {0};
    EVP_EncodeBlock(accept, digest, SHA_DIGEST_LENGTH);
    const std::string resp =
        std::string("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n") +
        "Connection: Upgrade\r\nSec-WebSocket-Accept: " + reinterpret_cast<const char *>(accept) + "\r\n\r\n";
    if (::write(client_, resp.data(), resp.size()) < 0) return;
    if (!after_handshake_.empty()) {
      if (::write(client_, after_handshake_.data(), after_handshake_.size()) < 0) return;
      while (!stop_) {
        pollfd c{client_, POLLIN, 0};
        if (::poll(&c, 1, 20) <= 0) continue;
        ssize_t n = ::read(client_, buf, sizeof buf);
        if (n <= 0) return;
        std::lock_guard<std::mutex> lock(mu_);
        received_.append(buf, static_cast<size_t>(n));
      }
      return;
    }
    while (!stop_) {  // never read again
      if (reset_requested_ && !reset_done_) {
        linger hard{1, 0};  // close with RST instead of FIN
        ::setsockopt(client_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        ::close(client_);
        client_ = -1;
        reset_done_ = true;
      }
      std::this_thread::sleep_for(1ms);
    }
  }
  int fd_ = -1;
  int client_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> reset_requested_{false}, reset_done_{false};
  const std::string after_handshake_;
  std::mutex mu_;
  std::string received_;
  std::thread thread_;
};

// A simulator on 127.0.0.1:0 (TLS when cert and key are given); the test fails if it cannot start.
inline std::unique_ptr<sim::Simulator> start_sim(const std::string &scenario = {},
                                                 const std::string &cert = {}, const std::string &key = {}) {
  sim::SimOptions o;
  o.scenario_json = scenario;
  o.tls_cert_file = cert;
  o.tls_key_file = key;
  auto sim = sim::Simulator::start(o);
  REQUIRE_MESSAGE(sim.ok(), sim.status().to_string());
  return std::move(*sim);
}

// A Runtime with options `o`; the test fails if it cannot be created.
inline std::unique_ptr<Runtime> start_runtime(const RuntimeOptions &o) {
  auto rt = Runtime::create(o);
  REQUIRE_MESSAGE(rt.ok(), rt.status().to_string());
  return std::move(*rt);
}

// A Runtime with default options reporting into `metrics`.
inline std::unique_ptr<Runtime> start_runtime(MetricsRegistry &metrics, TlsOptions tls = {}) {
  RuntimeOptions o;
  o.metrics = &metrics;
  o.tls = std::move(tls);
  return start_runtime(o);
}

// Polls pred until it holds (true) or `limit` passes (false), for state another thread sets.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace voxline::nettest
