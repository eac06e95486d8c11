// Websocket client (Runtime + libwebsockets) against voxline-sim over plain ws and TLS, with
// every websocket fault the simulator scripts, and against raw sockets for timeouts.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/net/net_test_support.hpp"
#include "support/temp_dir.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline_sim/simulator.hpp"

using namespace voxline;
using namespace voxline::nettest;
using voxline::sim::SimOptions;
using voxline::sim::Simulator;

namespace {

WsConnectOptions echo_options(const Simulator &sim) {
  WsConnectOptions o;
  o.url = sim.ws_url("/test/echo");
  o.headers = {{"Authorization", "Token test-key"}, {"x-voxline-test", "yes"}};
  o.timeouts.connect = std::chrono::seconds(3);
  o.timeouts.handshake = std::chrono::seconds(3);
  return o;
}

std::shared_ptr<WsConnection> connect(Runtime &rt, const WsConnectOptions &o,
                                      std::shared_ptr<WsRecorder> rec) {
  auto c = rt.connect_websocket(o, rec);
  REQUIRE_MESSAGE(c.ok(), c.status().to_string());
  return *c;
}

struct TlsFiles {
  testing::TempDir dir{"voxline-net-tls"};
  std::string cert = dir.file("cert.pem");
  std::string key = dir.file("key.pem");
  explicit TlsFiles(const std::string &sans = "DNS:localhost,IP:127.0.0.1") {
    REQUIRE(sim::write_test_certificate(cert, key, sans).ok());
  }
};

std::string port_url(const char *scheme, const std::string &host, int port, const char *path) {
  return std::string(scheme) + "://" + host + ":" + std::to_string(port) + path;
}

}  // namespace

TEST_CASE("ws echoes text and binary messages and sends the handshake headers the owner set") {
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, echo_options(*sim), rec);
  REQUIRE(rec->wait_open());
  CHECK(rec->open_info()->http_status == 101);
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  REQUIRE(conn->send_text("hello").ok());
  REQUIRE(conn->send_binary(binary).ok());
  REQUIRE(conn->send_text("").ok());
  REQUIRE(rec->wait_messages(3));
  auto msgs = rec->messages();
  CHECK(msgs[0] == std::make_pair(WsMessageType::kText, std::string("hello")));
  CHECK(msgs[1] == std::make_pair(WsMessageType::kBinary, binary));
  CHECK(msgs[2] == std::make_pair(WsMessageType::kText, std::string()));
  REQUIRE(conn->close(1000, "bye").ok());
  REQUIRE(rec->wait_terminal());
  auto ci = rec->close_info();
  REQUIRE(ci.has_value());
  CHECK(ci->status.ok());
  CHECK(!ci->by_peer);
  CHECK(ci->code == 1000);
  CHECK(rec->terminal_count() == 1);
  CHECK(rec->single_thread());
  CHECK(conn->state() == WsState::kClosed);
  auto st = conn->stats();
  CHECK(st.messages_sent == 3);
  CHECK(st.messages_received == 3);
  CHECK(st.bytes_received == 5 + 256);
  // What the simulator saw: our headers on the handshake, our close code and reason.
  bool saw_auth = false, saw_custom = false, saw_close = false;
  for (int i = 0; i < 100 && !saw_close; ++i) {
    for (const auto &r : sim->recorded("echo")) {
      if (r.kind == "handshake") {
        for (const auto &h : r.headers) {
          if (h.first == "authorization" && h.second == "Token test-key") saw_auth = true;
          if (h.first == "x-voxline-test" && h.second == "yes") saw_custom = true;
        }
      }
      if (r.kind == "close" && r.direction == "in" && r.status == 1000) saw_close = true;
    }
    if (!saw_close) std::this_thread::sleep_for(10ms);
  }
  CHECK(saw_auth);
  CHECK(saw_custom);
  CHECK(saw_close);
  CHECK(m.counter("voxline_net_bytes_sent_total", "", {{"transport", "ws"}}).value() == 5 + 256);
}

TEST_CASE(
    "ws reassembles a 1 MB binary message and a message above max_message_bytes fails with PROTOCOL_ERROR") {
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, echo_options(*sim), rec);
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) & 0xff);
  REQUIRE(conn->send_binary(big).ok());
  REQUIRE(rec->wait_messages(1, 10000ms));
  CHECK(rec->messages()[0].second == big);
  CHECK(conn->close().ok());
  REQUIRE(rec->wait_terminal());

  auto small = echo_options(*sim);
  small.max_message_bytes = 1000;
  auto rec2 = std::make_shared<WsRecorder>();
  auto conn2 = connect(*rt, small, rec2);
  REQUIRE(conn2->send_text(std::string(5000, 'x')).ok());
  REQUIRE(rec2->wait_terminal());
  auto e = rec2->error_info();
  REQUIRE(e.has_value());
  CHECK(e->status.code() == StatusCode::kProtocolError);
  CHECK(rec2->messages().empty());
}

TEST_CASE(
    "ws handshake refused with 401 and 429 reports the HTTP status as UNAUTHENTICATED and RATE_LIMITED") {
  auto sim = start_sim(R"({"faults":[{"endpoint":"echo","type":"status","status":401}]})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, echo_options(*sim), rec);  // held: dropping the handle would close it
  REQUIRE(rec->wait_terminal());
  auto e = rec->error_info();
  REQUIRE(e.has_value());
  CHECK(e->status.code() == StatusCode::kUnauthenticated);
  CHECK(e->http_status == 401);
  CHECK(e->phase == "handshake");

  REQUIRE(
      sim->load_scenario(R"({"faults":[{"endpoint":"echo","type":"status","status":429,"retry_after":"2"}]})")
          .ok());
  auto rec2 = std::make_shared<WsRecorder>();
  auto conn2 = connect(*rt, echo_options(*sim), rec2);
  REQUIRE(rec2->wait_terminal());
  auto e2 = rec2->error_info();
  REQUIRE(e2.has_value());
  CHECK(e2->status.code() == StatusCode::kRateLimited);
  CHECK(e2->http_status == 429);
  CHECK(find_header(e2->headers, "retry-after") == std::string_view("2"));
  CHECK(m.counter("voxline_net_errors_total", "", {{"transport", "ws"}, {"status", "UNAUTHENTICATED"}})
            .value() == 1);
  CHECK(
      m.counter("voxline_net_errors_total", "", {{"transport", "ws"}, {"status", "RATE_LIMITED"}}).value() ==
      1);
}

TEST_CASE("ws server close codes 1008 and 1011 arrive as on_close with code, reason and mapped status") {
  auto sim = start_sim(
      R"({"faults":[{"endpoint":"echo","type":"close","close_code":1008,"close_reason":"DATA-0000 bad audio","after_messages":1}]})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, echo_options(*sim), rec);
  REQUIRE(conn->send_text("one").ok());
  REQUIRE(conn->send_text("two").ok());
  REQUIRE(rec->wait_terminal());
  auto c = rec->close_info();
  REQUIRE(c.has_value());
  CHECK(c->by_peer);
  CHECK(c->code == 1008);
  CHECK(c->reason == "DATA-0000 bad audio");
  CHECK(c->status.code() == StatusCode::kInvalidArgument);  // Deepgram's DATA error
  CHECK(rec->messages().size() == 1);

  REQUIRE(
      sim->load_scenario(
             R"({"faults":[{"endpoint":"echo","type":"close","close_code":1011,"close_reason":"NET-0001 idle","after_ms":100}]})")
          .ok());
  auto rec2 = std::make_shared<WsRecorder>();
  auto conn2 = connect(*rt, echo_options(*sim), rec2);
  REQUIRE(rec2->wait_terminal());
  auto c2 = rec2->close_info();
  REQUIRE(c2.has_value());
  CHECK(c2->code == 1011);
  CHECK(c2->status.code() == StatusCode::kUnavailable);
  CHECK(c2->reason.find("NET-0001") != std::string::npos);
}

TEST_CASE("ws connection dropped mid-stream without a close frame gives UNAVAILABLE") {
  auto sim = start_sim(R"({"faults":[{"endpoint":"echo","type":"drop","after_messages":2}]})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, echo_options(*sim), rec);
  for (int i = 0; i < 4; ++i) (void)conn->send_text("m" + std::to_string(i));
  REQUIRE(rec->wait_terminal());
  auto e = rec->error_info();
  REQUIRE(e.has_value());
  CHECK(e->status.code() == StatusCode::kUnavailable);
  CHECK_MESSAGE(e->status.message().find("1006") != std::string::npos, e->status.to_string());
  CHECK(rec->messages().size() == 2);
  CHECK(rec->terminal_count() == 1);
}

TEST_CASE(
    "ws stalled server trips the idle deadline with TIMEOUT and malformed JSON reaches the owner verbatim") {
  auto sim = start_sim(R"({"faults":[{"endpoint":"echo","type":"malformed_json","after_messages":0}]})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<WsRecorder>();
  auto o = echo_options(*sim);
  auto conn = connect(*rt, o, rec);
  REQUIRE(conn->send_text(R"({"type":"KeepAlive"})").ok());
  REQUIRE(rec->wait_messages(1));
  // The runtime does not interpret payloads: a cut JSON text frame is delivered as it came.
  CHECK(rec->messages()[0].second != R"({"type":"KeepAlive"})");
  REQUIRE(conn->close().ok());
  REQUIRE(rec->wait_terminal());

  REQUIRE(sim->load_scenario(
                 R"({"faults":[{"endpoint":"echo","type":"stall","stall_ms":3000,"after_messages":1}]})")
              .ok());
  o.timeouts.idle = 300ms;
  auto rec2 = std::make_shared<WsRecorder>();
  auto conn2 = connect(*rt, o, rec2);
  REQUIRE(conn2->send_text("a").ok());
  REQUIRE(conn2->send_text("b").ok());
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(rec2->wait_terminal());
  const auto waited = std::chrono::steady_clock::now() - t0;
  auto e = rec2->error_info();
  REQUIRE(e.has_value());
  CHECK(e->status.code() == StatusCode::kTimeout);
  CHECK(e->phase == "idle");
  CHECK(waited < 2500ms);
  CHECK(rec2->messages().size() == 1);
  CHECK(m.counter("voxline_net_timeouts_total", "", {{"phase", "idle"}}).value() == 1);
}

TEST_CASE("ws handshake deadline gives TIMEOUT when the server accepts TCP but never answers the upgrade") {
  SilentListener silent;
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = port_url("ws", "127.0.0.1", silent.port(), "/x");
  o.timeouts.handshake = 300ms;
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, o, rec);  // held: dropping the handle would close it
  REQUIRE(rec->wait_terminal(3000ms));
  auto e = rec->error_info();
  REQUIRE(e.has_value());
  CHECK(e->status.code() == StatusCode::kTimeout);
  CHECK(e->phase == "handshake");
  CHECK(m.counter("voxline_net_timeouts_total", "", {{"phase", "handshake"}}).value() == 1);
}

TEST_CASE("ws connect deadline gives TIMEOUT when the TCP connect never completes") {
  SilentListener full(/*backlog_full=*/true);
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = port_url("ws", "127.0.0.1", full.port(), "/x");
  o.timeouts.connect = 300ms;
  o.timeouts.handshake = 300ms;
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, o, rec);  // held: dropping the handle would close it
  REQUIRE(rec->wait_terminal(3000ms));
  auto e = rec->error_info();
  REQUIRE(e.has_value());
  CHECK(e->status.code() == StatusCode::kTimeout);
  // Linux may complete the TCP handshake from the SYN backlog anyway; then the upgrade times out.
  CHECK((e->phase == "connect" || e->phase == "handshake"));
}

TEST_CASE("ws connection refused gives UNAVAILABLE") {
  int port;
  {
    SilentListener gone;
    port = gone.port();
  }
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = port_url("ws", "127.0.0.1", port, "/x");
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, o, rec);  // held: dropping the handle would close it
  REQUIRE(rec->wait_terminal());
  REQUIRE(rec->error_info().has_value());
  CHECK(rec->error_info()->status.code() == StatusCode::kUnavailable);
}

TEST_CASE("ws send queue is bounded: QUEUE_FULL with counters, and queued messages go out once open") {
  SilentListener silent;  // never answers the upgrade, so nothing can drain the queue
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions stuck;
  stuck.url = port_url("ws", "127.0.0.1", silent.port(), "/x");
  stuck.max_queued_messages = 3;
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, stuck, rec);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 4; ++i) {
    Status s = conn->send_text("q" + std::to_string(i));
    if (s.ok()) ++accepted;
    if (s.code() == StatusCode::kQueueFull) ++refused;
  }
  CHECK(accepted == 3);
  CHECK(refused == 1);
  auto st = conn->stats();
  CHECK(st.send_rejected == 1);
  CHECK(st.queue_high_water == 3);
  CHECK(st.queued == 3);
  CHECK(m.counter("voxline_net_ws_send_rejected_total", "").value() == 1);
  stuck.max_queued_messages = 100;
  stuck.max_queued_bytes = 10;
  auto rec2 = std::make_shared<WsRecorder>();
  auto conn2 = connect(*rt, stuck, rec2);
  CHECK(conn2->send_text(std::string(11, 'x')).code() == StatusCode::kQueueFull);
  CHECK(conn2->send_text(std::string(10, 'x')).ok());
  conn->close();
  conn2->close();
  REQUIRE(rec->wait_terminal());
  REQUIRE(rec2->wait_terminal());
  CHECK(conn->send_text("late").code() == StatusCode::kFailedPrecondition);

  // Messages queued before the handshake completes go out, in order, once it does.
  auto rec3 = std::make_shared<WsRecorder>();
  auto conn3 = connect(*rt, echo_options(*sim), rec3);
  for (int i = 0; i < 3; ++i) REQUIRE(conn3->send_text("early" + std::to_string(i)).ok());
  REQUIRE(rec3->wait_messages(3));
  for (int i = 0; i < 3; ++i) CHECK(rec3->messages()[i].second == "early" + std::to_string(i));
  conn3->close();
  REQUIRE(rec3->wait_terminal());
}

TEST_CASE("ws send deadline gives TIMEOUT when the peer stops reading and queued data cannot be written") {
  HandshakeThenSilentServer server;
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = port_url("ws", "127.0.0.1", server.port(), "/silent");
  o.timeouts.send = 300ms;
  o.max_queued_bytes = 256u << 20;
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, o, rec);
  REQUIRE(rec->wait_open());
  const std::string chunk(1 << 20, 'z');
  // Under a sanitizer the deadline may already fire while this loop runs; later sends then fail.
  REQUIRE(conn->send_binary(chunk).ok());
  for (int i = 1; i < 64; ++i) (void)conn->send_binary(chunk);
  REQUIRE(rec->wait_terminal(5000ms));
  auto e = rec->error_info();
  REQUIRE(e.has_value());
  CHECK(e->status.code() == StatusCode::kTimeout);
  CHECK(e->phase == "send");
  CHECK(conn->stats().messages_sent < 64);
  CHECK(m.counter("voxline_net_timeouts_total", "", {{"phase", "send"}}).value() == 1);
}

TEST_CASE("ws close deadline gives TIMEOUT when the close handshake cannot complete") {
  HandshakeThenSilentServer server;
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = port_url("ws", "127.0.0.1", server.port(), "/silent");
  o.timeouts.close = 300ms;
  o.timeouts.send = std::chrono::seconds(10);
  o.max_queued_bytes = 256u << 20;
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, o, rec);
  REQUIRE(rec->wait_open());
  const std::string chunk(1 << 20, 'z');
  for (int i = 0; i < 64; ++i) REQUIRE(conn->send_binary(chunk).ok());
  REQUIRE(conn->close(1000, "bye").ok());
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(rec->wait_terminal(5000ms));
  CHECK(std::chrono::steady_clock::now() - t0 < 2000ms);
  auto e = rec->error_info();
  REQUIRE(e.has_value());
  CHECK(e->status.code() == StatusCode::kTimeout);
  CHECK(e->phase == "close");
}

TEST_CASE(
    "ws close before open cancels with CANCELLED, and close from another thread races safely with traffic") {
  SilentListener silent;
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = port_url("ws", "127.0.0.1", silent.port(), "/x");
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, o, rec);
  REQUIRE(conn->close().ok());
  REQUIRE(rec->wait_terminal(1000ms));
  CHECK(rec->error_info()->status.code() == StatusCode::kCancelled);

  // 40 connections echoing continuously, closed from this thread at random moments.
  std::vector<std::shared_ptr<WsRecorder>> recs;
  std::vector<std::shared_ptr<WsConnection>> conns;
  for (int i = 0; i < 40; ++i) {
    recs.push_back(std::make_shared<WsRecorder>());
    recs.back()->set_echo_back(true);
    conns.push_back(connect(*rt, echo_options(*sim), recs.back()));
    (void)conns.back()->send_text("ping-pong");
  }
  for (int i = 0; i < 40; ++i) {
    if (i % 3 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(i % 7));
    (void)conns[i]->close(1000, "done");
    (void)conns[i]->close(1000, "twice");  // idempotent
  }
  for (auto &r : recs) {
    REQUIRE(r->wait_terminal());
    CHECK(r->terminal_count() == 1);
    CHECK(r->single_thread());
  }
  std::this_thread::sleep_for(50ms);
  for (auto &r : recs) CHECK(r->terminal_count() == 1);
  CHECK(rt->active_websockets() == 0);
}

TEST_CASE("ws 200 concurrent connections on one I/O thread all exchange their messages correctly") {
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = start_runtime(m);
  REQUIRE(rt->slot_count() == 1);
  constexpr int kConns = 200, kMsgs = 5;
  std::vector<std::shared_ptr<WsRecorder>> recs;
  std::vector<std::shared_ptr<WsConnection>> conns;
  for (int i = 0; i < kConns; ++i) {
    recs.push_back(std::make_shared<WsRecorder>());
    conns.push_back(connect(*rt, echo_options(*sim), recs.back()));
    for (int k = 0; k < kMsgs; ++k)
      REQUIRE(conns.back()->send_text("c" + std::to_string(i) + "-" + std::to_string(k)).ok());
  }
  std::set<std::thread::id> threads;
  for (int i = 0; i < kConns; ++i) {
    REQUIRE_MESSAGE(recs[i]->wait_messages(kMsgs, 20000ms), "connection " << i);
    auto msgs = recs[i]->messages();
    for (int k = 0; k < kMsgs; ++k)
      CHECK(msgs[k].second == "c" + std::to_string(i) + "-" + std::to_string(k));
  }
  CHECK(m.gauge("voxline_net_ws_connections_open", "").value() == kConns);
  for (auto &c : conns) REQUIRE(c->close().ok());
  for (auto &r : recs) {
    REQUIRE(r->wait_terminal(10000ms));
    CHECK(r->close_info().has_value());
  }
  CHECK(m.gauge("voxline_net_ws_connections_open", "").value() == 0);
  CHECK(rt->active_websockets() == 0);
}

TEST_CASE("ws keepalive pings are answered with pongs and keep an idle connection open") {
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto o = echo_options(*sim);
  o.ping_interval_s = 1;
  o.ping_hangup_s = 5;
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, o, rec);
  REQUIRE(rec->wait_open());
  for (int i = 0; i < 40 && conn->stats().pongs_received == 0; ++i) std::this_thread::sleep_for(100ms);
  CHECK(conn->stats().pongs_received >= 1);
  CHECK(conn->state() == WsState::kOpen);
  conn->close();
  REQUIRE(rec->wait_terminal());
}

TEST_CASE("wss with the test CA verifies the certificate, also by host name through the resolver") {
  TlsFiles tls;
  auto sim = start_sim({}, tls.cert, tls.key);
  MetricsRegistry m;
  TlsOptions t;
  t.ca_file = tls.cert;
  auto rt = start_runtime(m, t);
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto o = echo_options(*sim);
    o.url = port_url("wss", host, sim->port(), "/test/echo");
    auto rec = std::make_shared<WsRecorder>();
    auto conn = connect(*rt, o, rec);
    REQUIRE_MESSAGE(rec->wait_open(),
                    host << ": " << (rec->error_info() ? rec->error_info()->status.to_string() : ""));
    REQUIRE(conn->send_text("secure " + host).ok());
    bool host_header_ok = false;
    for (const auto &r : sim->recorded("echo"))
      if (r.kind == "handshake")
        for (const auto &h : r.headers)
          if (h.first == "host" && h.second == host + ":" + std::to_string(sim->port()))
            host_header_ok = true;
    CHECK(host_header_ok);
    REQUIRE(rec->wait_messages(1));
    CHECK(rec->messages()[0].second == "secure " + host);
    conn->close();
    REQUIRE(rec->wait_terminal());
  }
  CHECK(rt->resolver().cache().lookup("localhost").has_value());
}

TEST_CASE("wss refuses a trusted certificate that names neither the host nor the IP it was reached by") {
  TlsFiles tls("DNS:example.invalid");
  auto sim = start_sim({}, tls.cert, tls.key);
  MetricsRegistry m;
  TlsOptions t;
  t.ca_file = tls.cert;
  auto rt = start_runtime(m, t);
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto o = echo_options(*sim);
    o.url = port_url("wss", host, sim->port(), "/test/echo");
    auto rec = std::make_shared<WsRecorder>();
    auto conn = connect(*rt, o, rec);
    REQUIRE(rec->wait_terminal());
    auto e = rec->error_info();
    REQUIRE(e.has_value());
    CHECK(e->status.code() == StatusCode::kUnavailable);
    CHECK_MESSAGE(e->status.message().find("TLS failure") != std::string::npos, e->status.to_string());
    CHECK_MESSAGE(e->status.message().find("mismatch") != std::string::npos, e->status.to_string());
    CHECK(!rec->open_info().has_value());
  }
}

TEST_CASE("wss refuses a certificate from an unknown CA unless insecure mode is set explicitly") {
  TlsFiles tls;
  auto sim = start_sim({}, tls.cert, tls.key);
  MetricsRegistry m;
  {
    auto rt = start_runtime(m);
    auto rec = std::make_shared<WsRecorder>();
    auto conn = connect(*rt, echo_options(*sim), rec);  // held: dropping the handle would close it
    REQUIRE(rec->wait_terminal());
    auto e = rec->error_info();
    REQUIRE(e.has_value());
    CHECK(e->status.code() == StatusCode::kUnavailable);
    CHECK(!rec->open_info().has_value());
  }
  {
    Logger logger;
    std::mutex mu;
    std::vector<std::string> warnings;
    logger.set_sink([&](const LogRecord &r) {
      std::lock_guard<std::mutex> lock(mu);
      if (r.level == LogLevel::kWarn) warnings.emplace_back(r.message);
    });
    RuntimeOptions ro;
    ro.metrics = &m;
    ro.logger = &logger;
    ro.tls.insecure_skip_verify = true;
    auto created = Runtime::create(ro);
    REQUIRE(created.ok());
    auto rt = std::move(*created);
    {
      std::lock_guard<std::mutex> lock(mu);
      REQUIRE(warnings.size() == 1);
      CHECK(warnings[0].find("verification is OFF") != std::string::npos);
    }
    auto rec = std::make_shared<WsRecorder>();
    auto conn = connect(*rt, echo_options(*sim), rec);
    REQUIRE(rec->wait_open());
    conn->close();
    REQUIRE(rec->wait_terminal());
  }
}

TEST_CASE("runtime shutdown ends every live websocket with exactly one CANCELLED event") {
  auto sim = start_sim();
  SilentListener silent;
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto open_rec = std::make_shared<WsRecorder>();
  auto pending_rec = std::make_shared<WsRecorder>();
  auto c1 = connect(*rt, echo_options(*sim), open_rec);
  WsConnectOptions o;
  o.url = port_url("ws", "127.0.0.1", silent.port(), "/x");
  auto c2 = connect(*rt, o, pending_rec);
  REQUIRE(open_rec->wait_open());
  rt.reset();
  CHECK(open_rec->terminal_count() == 1);
  CHECK(pending_rec->terminal_count() == 1);
  CHECK(open_rec->error_info()->status.code() == StatusCode::kCancelled);
  CHECK(pending_rec->error_info()->status.code() == StatusCode::kCancelled);
  CHECK(c1->send_text("after").code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("connect_websocket rejects bad URLs, headers and a null handler with INVALID_ARGUMENT") {
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = "http://127.0.0.1:1/";
  CHECK(rt->connect_websocket(o, std::make_shared<WsRecorder>()).status().code() ==
        StatusCode::kInvalidArgument);
  o.url = "ws://127.0.0.1:1/";
  CHECK(rt->connect_websocket(o, nullptr).status().code() == StatusCode::kInvalidArgument);
  o.headers = {{"Bad\r\nHeader", "x"}};
  CHECK(rt->connect_websocket(o, std::make_shared<WsRecorder>()).status().code() ==
        StatusCode::kInvalidArgument);
  o.headers = {};
  auto rec = std::make_shared<WsRecorder>();
  auto c = connect(*rt, o, rec);
  CHECK(c->close(999).code() == StatusCode::kInvalidArgument);
  CHECK(c->close(1000, std::string(200, 'r')).code() == StatusCode::kInvalidArgument);
  REQUIRE(rec->wait_terminal());
}

TEST_CASE("runtime create refuses bad options with INVALID_ARGUMENT and serves from several I/O slots") {
  RuntimeOptions bad;
  bad.slots = 0;
  CHECK(Runtime::create(bad).status().code() == StatusCode::kInvalidArgument);
  bad.slots = defaults::kMaxSlots + 1;  // the bound Config checks too
  CHECK(Runtime::create(bad).status().code() == StatusCode::kInvalidArgument);
  RuntimeOptions missing_ca;
  missing_ca.tls.ca_file = "/nonexistent/ca.pem";
  CHECK(Runtime::create(missing_ca).status().code() == StatusCode::kInvalidArgument);

  auto sim = start_sim();
  MetricsRegistry m;
  RuntimeOptions two;
  two.slots = 2;
  two.metrics = &m;
  auto rt = Runtime::create(two);
  REQUIRE(rt.ok());
  CHECK((*rt)->slot_count() == 2);
  std::vector<std::shared_ptr<WsRecorder>> recs;
  std::vector<std::shared_ptr<WsConnection>> conns;
  for (int i = 0; i < 4; ++i) {
    recs.push_back(std::make_shared<WsRecorder>());
    conns.push_back(connect(**rt, echo_options(*sim), recs.back()));
    REQUIRE(conns.back()->send_text("slot " + std::to_string(i)).ok());
  }
  for (int i = 0; i < 4; ++i) {
    REQUIRE(recs[i]->wait_messages(1));
    CHECK(recs[i]->messages()[0].second == "slot " + std::to_string(i));
    conns[i]->close();
    REQUIRE(recs[i]->wait_terminal());
  }
}

TEST_CASE("a slow DNS lookup times out in phase dns without blocking other connections on the I/O thread") {
  auto sim = start_sim();
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  MetricsRegistry m;
  RuntimeOptions ro;
  ro.metrics = &m;
  ro.dns_lookup = [&](const std::string &host) -> Result<std::vector<std::string>> {
    if (host == "slow.voxline.test") {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, 5s, [&] { return release; });
    }
    return std::vector<std::string>{"127.0.0.1"};
  };
  auto created = Runtime::create(ro);
  REQUIRE(created.ok());
  auto rt = std::move(*created);
  WsConnectOptions slow = echo_options(*sim);
  slow.url = port_url("ws", "slow.voxline.test", sim->port(), "/test/echo");
  slow.timeouts.connect = 300ms;
  auto slow_rec = std::make_shared<WsRecorder>();
  auto slow_conn = connect(*rt, slow, slow_rec);  // held: dropping the handle would close it
  // While the lookup hangs, a connection by address on the same single I/O thread works.
  auto rec = std::make_shared<WsRecorder>();
  auto conn = connect(*rt, echo_options(*sim), rec);
  REQUIRE(conn->send_text("not blocked").ok());
  REQUIRE(rec->wait_messages(1, 2000ms));
  CHECK(slow_rec->terminal_count() == 0);
  REQUIRE(slow_rec->wait_terminal(3000ms));
  auto e = slow_rec->error_info();
  REQUIRE(e.has_value());
  CHECK(e->status.code() == StatusCode::kTimeout);
  CHECK(e->phase == "dns");
  CHECK(m.counter("voxline_net_timeouts_total", "", {{"phase", "dns"}}).value() == 1);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  // Once answered, the name is cached and a new connection by name goes through.
  auto rec2 = std::make_shared<WsRecorder>();
  slow.timeouts.connect = 3s;
  auto conn2 = connect(*rt, slow, rec2);
  REQUIRE(rec2->wait_open(3000ms));
  conn->close();
  conn2->close();
  REQUIRE(rec->wait_terminal());
  REQUIRE(rec2->wait_terminal());
}
