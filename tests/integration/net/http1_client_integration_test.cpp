// The runtime's own HTTP/1.1 client (RuntimeOptions::http_client = kHttp1) against a scripted
// raw TCP server, for what the simulator cannot provoke: a kept-alive connection the server drops
// while the next request is on its way, a server that answers and closes, malformed answers, the
// request bytes on the wire, and the next address tried when one refuses. Cancelling mid-body
// (a closed connection replaced by a warm spare) runs against voxline-sim.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "integration/net/net_test_support.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/slot.hpp"

using namespace voxline;
using namespace voxline::nettest;

namespace {

// One request as the server read it.
struct SeenRequest {
  int connection = 0;  // 1 = the first connection accepted
  std::string head;    // request line and fields
  std::string body;
};

// Serves connections one at a time on 127.0.0.1: for each request read (head + Content-Length
// body), `script(index, connection)` returns the raw bytes to answer, or "" to close the
// connection without answering. An answer ending in "\x01" (stripped) closes after it is written.
class ScriptedHttpServer {
 public:
  using Script = std::function<std::string(int request_index, int connection)>;
  explicit ScriptedHttpServer(Script script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr *>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string url(const std::string &path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<SeenRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  int connections() const { return connections_.load(); }

 private:
  bool wait_readable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }
  void run() {
    while (wait_readable(fd_)) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      const int conn = ++connections_;
      serve(c, conn);
      ::close(c);
    }
  }
  void serve(int c, int conn) {
    std::string buf;
    char tmp[4096];
    while (true) {
      size_t head_end;
      while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!wait_readable(c)) return;
        const ssize_t n = ::read(c, tmp, sizeof tmp);
        if (n <= 0) return;
        buf.append(tmp, static_cast<size_t>(n));
      }
      SeenRequest r;
      r.connection = conn;
      r.head = buf.substr(0, head_end);
      size_t length = 0;
      std::string lower = r.head;
      for (auto &ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      const size_t cl = lower.find("\r\ncontent-length:");
      if (cl != std::string::npos) length = std::stoul(lower.substr(cl + 17));
      while (buf.size() < head_end + 4 + length) {
        if (!wait_readable(c)) return;
        const ssize_t n = ::read(c, tmp, sizeof tmp);
        if (n <= 0) return;
        buf.append(tmp, static_cast<size_t>(n));
      }
      r.body = buf.substr(head_end + 4, length);
      buf.erase(0, head_end + 4 + length);
      int index;
      {
        std::lock_guard<std::mutex> lock(mu_);
        index = static_cast<int>(seen_.size());
        seen_.push_back(r);
      }
      std::string answer = script_(index, conn);
      if (answer.empty()) return;  // drop without answering
      const bool close_after = answer.back() == '\x01';
      if (close_after) answer.pop_back();
      size_t off = 0;
      while (off < answer.size()) {
        const ssize_t n = ::write(c, answer.data() + off, answer.size() - off);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
      }
      if (close_after) return;
    }
  }

  Script script_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<SeenRequest> seen_;
  std::thread thread_;
};

const std::string kOk =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    "a\r\ndata: ok\n\n\r\n0\r\n\r\n";

std::unique_ptr<Runtime> http1_runtime(MetricsRegistry &m, DnsResolver::LookupFn lookup = {}) {
  RuntimeOptions o;
  o.metrics = &m;
  o.http_client = HttpClient::kHttp1;
  o.dns_lookup = std::move(lookup);
  return start_runtime(o);
}

HttpRequest post(const std::string &url, const std::string &body = R"({"q":1})") {
  HttpRequest r;
  r.url = url;
  r.body = body;
  r.timeouts.connect = std::chrono::seconds(5);
  r.timeouts.first_byte = std::chrono::seconds(5);
  r.timeouts.idle = std::chrono::seconds(5);
  return r;
}

HttpCompletion run(Slot &slot, HttpRequest r, std::shared_ptr<HttpRecorder> rec = nullptr) {
  if (!rec) rec = std::make_shared<HttpRecorder>();
  auto s = slot.start_http(std::move(r), rec);
  REQUIRE_MESSAGE(s.ok(), s.status().to_string());
  REQUIRE(rec->wait_complete());
  return rec->completion();
}

}  // namespace

TEST_CASE("HTTP/1.1: the request goes out framed by us, with Host, User-Agent and the caller's fields") {
  ScriptedHttpServer server([](int, int) { return kOk; });
  MetricsRegistry m;
  auto rt = http1_runtime(m);
  HttpRequest r = post(server.url("/v1/chat/completions?api-version=2024-10-21"), R"({"model":"x"})");
  r.headers = {{"Authorization", "Bearer sk-test"}, {"Content-Length", "999"}, {"X-Extra", "1"}};
  auto rec = std::make_shared<HttpRecorder>();
  const HttpCompletion c = run(*rt->slot(0), r, rec);
  CHECK_MESSAGE(c.status.ok(), c.status.to_string());
  CHECK(c.http_version == 11);
  CHECK(rec->body() == "data: ok\n\n");
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  const std::string &h = seen[0].head;
  CHECK(h.rfind("POST /v1/chat/completions?api-version=2024-10-21 HTTP/1.1\r\n", 0) == 0);
  CHECK(h.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port())) != std::string::npos);
  CHECK(h.find("\r\nAuthorization: Bearer sk-test") != std::string::npos);
  CHECK(h.find("\r\nX-Extra: 1") != std::string::npos);
  CHECK(h.find("\r\nContent-Type: application/json") != std::string::npos);
  CHECK(h.find("\r\nUser-Agent: voxline/") != std::string::npos);
  CHECK(h.find("Content-Length: 999") == std::string::npos);  // the caller's framing is not trusted
  CHECK(h.find("\r\nContent-Length: 13") != std::string::npos);
  CHECK(seen[0].body == R"({"model":"x"})");
}

TEST_CASE("HTTP/1.1: a request on a kept-alive connection the server dropped is resent once on a fresh one") {
  // Request 0 is answered and kept alive; request 1 reaches the same connection, which the server
  // then drops without answering (the race with its idle timeout); the resend (request 2) lands on
  // a new connection and succeeds. The caller sees one clean answer.
  ScriptedHttpServer server([](int index, int) { return index == 1 ? std::string() : kOk; });
  MetricsRegistry m;
  auto rt = http1_runtime(m);
  auto slot = rt->slot(0);
  const HttpCompletion first = run(*slot, post(server.url("/a")));
  REQUIRE(first.status.ok());
  CHECK(first.connections_opened == 1);
  const HttpCompletion second = run(*slot, post(server.url("/b")));
  CHECK_MESSAGE(second.status.ok(), second.status.to_string());
  CHECK(second.connections_opened == 1);  // the fresh one
  auto seen = server.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[1].connection == 1);
  CHECK(seen[2].connection == 2);
  CHECK(seen[2].head.rfind("POST /b ", 0) == 0);
}

TEST_CASE("HTTP/1.1: a fresh connection closed before any answer is an error, not resent") {
  ScriptedHttpServer server([](int, int) { return std::string(); });
  MetricsRegistry m;
  auto rt = http1_runtime(m);
  const HttpCompletion c = run(*rt->slot(0), post(server.url("/x")));
  CHECK(c.status.code() == StatusCode::kUnavailable);
  CHECK(c.phase == "first_byte");
  CHECK(server.requests().size() == 1);
}

TEST_CASE(
    "HTTP/1.1: Connection: close and a close-delimited body end the connection; the next request opens one") {
  ScriptedHttpServer server([](int index, int) {
    if (index == 0) return std::string("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi");
    if (index == 1) return std::string("HTTP/1.1 200 OK\r\n\r\nuntil close\x01");
    return kOk;
  });
  MetricsRegistry m;
  auto rt = http1_runtime(m);
  auto slot = rt->slot(0);
  auto a = std::make_shared<HttpRecorder>();
  CHECK(run(*slot, post(server.url("/1")), a).status.ok());
  CHECK(a->body() == "hi");
  auto b = std::make_shared<HttpRecorder>();
  const HttpCompletion cb = run(*slot, post(server.url("/2")), b);
  CHECK_MESSAGE(cb.status.ok(), cb.status.to_string());
  CHECK(b->body() == "until close");
  CHECK(cb.connections_opened == 1);
  const HttpCompletion cc = run(*slot, post(server.url("/3")));
  CHECK(cc.status.ok());
  CHECK(cc.connections_opened == 1);
  CHECK(server.connections() == 3);
}

TEST_CASE("HTTP/1.1: a malformed answer is PROTOCOL_ERROR and its connection is not reused") {
  ScriptedHttpServer server([](int index, int) {
    return index == 0 ? std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") : kOk;
  });
  MetricsRegistry m;
  auto rt = http1_runtime(m);
  auto slot = rt->slot(0);
  const HttpCompletion bad = run(*slot, post(server.url("/bad")));
  CHECK(bad.status.code() == StatusCode::kProtocolError);
  CHECK(bad.status.message().find("chunk size") != std::string::npos);
  const HttpCompletion next = run(*slot, post(server.url("/next")));
  CHECK(next.status.ok());
  CHECK(next.connections_opened == 1);
  CHECK(server.connections() == 2);
}

TEST_CASE("HTTP/1.1: an address that refuses is skipped for the next one the resolver gave") {
  ScriptedHttpServer server([](int, int) { return kOk; });
  // 127.0.0.2 is loopback too, but nothing listens there on this port: connection refused.
  MetricsRegistry m;
  auto rt = http1_runtime(m, [](const std::string &) -> Result<std::vector<std::string>> {
    return std::vector<std::string>{"127.0.0.2", "127.0.0.1"};
  });
  const HttpCompletion c =
      run(*rt->slot(0), post("http://api.example.test:" + std::to_string(server.port()) + "/v1"));
  CHECK_MESSAGE(c.status.ok(), c.status.to_string());
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].head.find("\r\nHost: api.example.test:" + std::to_string(server.port())) !=
        std::string::npos);
}

TEST_CASE("HTTP/1.1: nothing listening is UNAVAILABLE in the connect phase") {
  int port;
  {
    ScriptedHttpServer gone([](int, int) { return kOk; });
    port = gone.port();
  }  // closed: connecting now is refused
  MetricsRegistry m;
  auto rt = http1_runtime(m);
  const HttpCompletion c = run(*rt->slot(0), post("http://127.0.0.1:" + std::to_string(port) + "/"));
  CHECK(c.status.code() == StatusCode::kUnavailable);
  CHECK(c.phase == "connect");
  CHECK(c.status.message().find("cannot connect to 127.0.0.1") != std::string::npos);
}

TEST_CASE("HTTP/1.1: cancelling mid-body closes that connection and a warm spare serves the next request") {
  // "a" at once, then nothing for 10 s: cancelled after the first event.
  auto sim = start_sim(R"({"sse":{"events":[{"data":"a"},{"data":"b","delay_ms":10000}]}})");
  MetricsRegistry m;
  auto rt = http1_runtime(m);
  auto slot = rt->slot(0);
  auto rec = std::make_shared<HttpRecorder>();
  auto s = slot->start_http(post(sim->http_url("/test/sse"), "{}"), rec);
  REQUIRE(s.ok());
  REQUIRE(rec->wait_events(1));
  (*s)->cancel();
  REQUIRE(rec->wait_complete());
  CHECK(rec->completion().status.code() == StatusCode::kCancelled);
  CHECK(rec->completion().connections_opened == 1);
  // The spare connects in the background; once it is up the next request pays no connect.
  CHECK(m.counter("voxline_net_http1_spares_opened_total", "").value() == 1);
  REQUIRE(eventually([&] { return m.gauge("voxline_net_http1_idle_connections", "").value() == 1; }));
  auto next = std::make_shared<HttpRecorder>();
  const HttpCompletion c = run(*slot, post(sim->http_url("/test/sse"), R"({"events":[{"data":"x"}]})"), next);
  CHECK_MESSAGE(c.status.ok(), c.status.to_string());
  CHECK(c.connections_opened == 0);
  CHECK(next->body() == "data: x\n\n");
  CHECK(m.gauge("voxline_net_http1_idle_connections", "").value() == 1);  // back in the pool
  rt.reset();
  CHECK(m.gauge("voxline_net_http1_idle_connections", "").value() == 0);
}
