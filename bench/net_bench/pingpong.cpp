// The ping-pong section of net_bench (see pingpong.hpp).
#include "net_bench/pingpong.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/sse_parser.hpp"
#include "voxline_sim/simulator.hpp"

namespace voxline::bench {
namespace {

using BenchClock = std::chrono::steady_clock;

struct Row {
  std::string name;
  int connections = 0;
  size_t messages = 0;
  double seconds = 0;
  std::vector<double> rtt_ms;
  std::string note;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

double ms_since(BenchClock::time_point t) {
  return std::chrono::duration<double, std::milli>(BenchClock::now() - t).count();
}

// ---- baseline: raw TCP echo on loopback ---------------------------------------------------
Row raw_tcp_baseline(size_t rounds, size_t size) {
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(lfd, reinterpret_cast<sockaddr *>(&a), sizeof a);
  ::listen(lfd, 4);
  socklen_t len = sizeof a;
  ::getsockname(lfd, reinterpret_cast<sockaddr *>(&a), &len);
  std::thread server([lfd, size] {
    int c = ::accept(lfd, nullptr, nullptr);
    int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::vector<char> buf(size);
    for (;;) {
      size_t got = 0;
      while (got < size) {
        ssize_t n = ::read(c, buf.data() + got, size - got);
        if (n <= 0) {
          ::close(c);
          return;
        }
        got += static_cast<size_t>(n);
      }
      if (::write(c, buf.data(), size) != static_cast<ssize_t>(size)) break;
    }
    ::close(c);
  });
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
  std::vector<char> msg(size, 'x'), back(size);
  Row r{"raw TCP echo (baseline)", 1, 0, 0, {}, "blocking socket, no framing"};
  const auto start = BenchClock::now();
  for (size_t i = 0; i < rounds; ++i) {
    const auto t = BenchClock::now();
    if (::write(fd, msg.data(), size) != static_cast<ssize_t>(size)) break;
    size_t got = 0;
    while (got < size) {
      ssize_t n = ::read(fd, back.data() + got, size - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    r.rtt_ms.push_back(ms_since(t));
    ++r.messages;
  }
  r.seconds = ms_since(start) / 1000.0;
  ::close(fd);
  server.join();
  ::close(lfd);
  return r;
}

// ---- websocket ping-pong -------------------------------------------------------------------
class PingPong : public WsHandler {
 public:
  PingPong(size_t rounds, std::string payload, std::atomic<size_t> &finished, std::mutex &mu,
           std::condition_variable &cv)
      : rounds_(rounds), payload_(std::move(payload)), finished_(finished), mu_(mu), cv_(cv) {}
  void on_open(WsConnection &c, const WsOpenInfo &) override { send_next(c); }
  void on_message(WsConnection &c, WsMessage &m) override {
    rtt_.push_back(ms_since(sent_at_));
    if (m.size() != payload_.size()) ++bad_;
    if (rtt_.size() < rounds_) {
      send_next(c);
    } else {
      done();
    }
  }
  void on_close(WsConnection &, const WsCloseInfo &) override { done(); }
  void on_error(WsConnection &, const WsErrorInfo &e) override {
    std::fprintf(stderr, "ws error: %s\n", e.status.to_string().c_str());
    ++bad_;
    done();
  }
  std::vector<double> rtt_;
  size_t bad_ = 0;

 private:
  void send_next(WsConnection &c) {
    sent_at_ = BenchClock::now();
    if (!c.send_text(payload_).ok()) ++bad_;
  }
  void done() {
    if (done_) return;
    done_ = true;
    finished_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
  size_t rounds_;
  std::string payload_;
  std::atomic<size_t> &finished_;
  std::mutex &mu_;
  std::condition_variable &cv_;
  BenchClock::time_point sent_at_;
  bool done_ = false;
};

Row ws_bench(Runtime &rt, const sim::Simulator &sim, int conns, size_t rounds, size_t size) {
  std::atomic<size_t> finished{0};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<PingPong>> handlers;
  std::vector<std::shared_ptr<WsConnection>> handles;
  WsConnectOptions o;
  o.url = sim.ws_url("/test/echo");
  const auto start = BenchClock::now();
  for (int i = 0; i < conns; ++i) {
    handlers.push_back(std::make_shared<PingPong>(rounds, std::string(size, 'w'), finished, mu, cv));
    auto c = rt.connect_websocket(o, handlers.back());
    if (c.ok()) handles.push_back(*c);
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(60),
                [&] { return finished.load() >= static_cast<size_t>(conns); });
  }
  Row r{"websocket echo", conns, 0, ms_since(start) / 1000.0, {}, "incl. connect + handshake"};
  size_t bad = 0;
  for (auto &h : handlers) {
    r.rtt_ms.insert(r.rtt_ms.end(), h->rtt_.begin(), h->rtt_.end());
    bad += h->bad_;
  }
  r.messages = r.rtt_ms.size();
  if (bad > 0) r.note += ", " + std::to_string(bad) + " errors";
  for (auto &c : handles) (void)c->close();
  for (int i = 0; i < 200 && rt.active_websockets() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return r;
}

// ---- streaming HTTP: sequential requests per stream ------------------------------------------
class SseClient : public HttpStreamHandler, public std::enable_shared_from_this<SseClient> {
 public:
  SseClient(Runtime &rt, HttpRequest req, size_t requests, std::atomic<size_t> &finished, std::mutex &mu,
            std::condition_variable &cv)
      : rt_(rt), req_(std::move(req)), requests_(requests), finished_(finished), mu_(mu), cv_(cv) {}
  void start() {
    started_at_ = BenchClock::now();
    parser_.reset();
    auto s = rt_.start_http(req_, shared_from_this());
    if (!s.ok()) {
      ++bad_;
      done();
    }
  }
  void on_data(HttpStream &, std::string_view chunk) override {
    std::vector<SseEvent> ev;
    if (!parser_.feed(chunk, ev).ok()) ++bad_;
    events_ += ev.size();
  }
  void on_complete(HttpStream &, const HttpCompletion &c) override {
    if (!c.status.ok()) {
      std::fprintf(stderr, "http error: %s\n", c.status.to_string().c_str());
      ++bad_;
    }
    rtt_.push_back(ms_since(started_at_));
    if (rtt_.size() < requests_ && c.status.ok()) {
      start();  // next request from the I/O thread's callback
    } else {
      done();
    }
  }
  std::vector<double> rtt_;
  size_t events_ = 0;
  size_t bad_ = 0;

 private:
  void done() {
    finished_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
  Runtime &rt_;
  HttpRequest req_;
  size_t requests_;
  std::atomic<size_t> &finished_;
  std::mutex &mu_;
  std::condition_variable &cv_;
  SseParser parser_;
  BenchClock::time_point started_at_;
};

Row http_bench(Runtime &rt, const sim::Simulator &sim, int streams, size_t requests, int events) {
  std::string body = R"({"events":[)";
  for (int i = 0; i < events; ++i)
    body += std::string(i ? "," : "") + R"({"data":"event payload )" + std::to_string(i) + R"("})";
  body += "]}";
  HttpRequest req;
  req.url = sim.http_url("/test/sse");
  req.body = body;
  std::atomic<size_t> finished{0};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<SseClient>> clients;
  const auto start = BenchClock::now();
  for (int i = 0; i < streams; ++i) {
    clients.push_back(std::make_shared<SseClient>(rt, req, requests, finished, mu, cv));
    clients.back()->start();
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(60),
                [&] { return finished.load() >= static_cast<size_t>(streams); });
  }
  Row r{"streaming HTTP (SSE)", streams, 0, ms_since(start) / 1000.0, {}, ""};
  size_t bad = 0;
  for (auto &c : clients) {
    r.rtt_ms.insert(r.rtt_ms.end(), c->rtt_.begin(), c->rtt_.end());
    r.messages += c->events_;
    bad += c->bad_;
  }
  r.note = std::to_string(events) + " events/request; rtt = request to last event";
  if (bad > 0) r.note += ", " + std::to_string(bad) + " errors";
  return r;
}

void print(const std::vector<Row> &rows) {
  const double base = rows.front().messages / std::max(rows.front().seconds, 1e-9);
  std::printf("\n%-26s %5s %9s %12s %9s %9s %8s  %s\n", "transport", "conns", "messages", "messages/s",
              "p50 ms", "p99 ms", "vs base", "note");
  std::printf("%s\n", std::string(110, '-').c_str());
  for (const auto &r : rows) {
    const double rate = r.messages / std::max(r.seconds, 1e-9);
    std::printf("%-26s %5d %9zu %12.0f %9.3f %9.3f %7.2fx  %s\n", r.name.c_str(), r.connections, r.messages,
                rate, percentile(r.rtt_ms, 0.50), percentile(r.rtt_ms, 0.99), rate / base, r.note.c_str());
  }
  std::printf("\n");
}

}  // namespace

int run_pingpong(bool quick) {
  const size_t scale = quick ? 1 : 5;
  auto sim = sim::Simulator::start({});
  if (!sim.ok()) {
    std::fprintf(stderr, "simulator: %s\n", sim.status().to_string().c_str());
    return 1;
  }
  MetricsRegistry metrics;
  RuntimeOptions ro;
  ro.metrics = &metrics;
  ro.slots = 1;
  auto rt = Runtime::create(ro);
  if (!rt.ok()) {
    std::fprintf(stderr, "runtime: %s\n", rt.status().to_string().c_str());
    return 1;
  }
  std::vector<Row> rows;
  rows.push_back(raw_tcp_baseline(2000 * scale, 64));
  rows.push_back(ws_bench(**rt, **sim, 1, 2000 * scale, 64));
  rows.push_back(ws_bench(**rt, **sim, 200, 20 * scale, 64));
  rows.push_back(http_bench(**rt, **sim, 1, 100 * scale, 10));
  rows.push_back(http_bench(**rt, **sim, 200, 2 * scale, 10));
  std::printf(
      "pingpong: loopback round trips, 64-byte websocket messages, one Runtime slot (sim in-process)");
  print(rows);
  std::printf("metrics: %s\n", metrics.json().c_str());
  return 0;
}

}  // namespace voxline::bench
