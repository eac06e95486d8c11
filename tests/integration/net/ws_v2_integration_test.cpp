// WsConnection v2 against voxline-sim: the priority lane, take_unsent / discard_queued, owned
// buffers both ways, back-pressure, abort, closing by dropping the handle, every resolved address
// tried in turn, Deepgram response headers, lws logs on the Runtime's logger, 2000 sockets on
// one slot.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "integration/net/net_test_support.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline_sim/simulator.hpp"

using namespace voxline;
using namespace voxline::nettest;
using voxline::sim::Simulator;

namespace {

WsConnectOptions echo(const Simulator &sim) {
  WsConnectOptions o;
  o.url = sim.ws_url("/test/echo");
  return o;
}

std::shared_ptr<WsConnection> open_on(Slot &slot, const WsConnectOptions &o, std::shared_ptr<WsHandler> h) {
  auto c = slot.connect_websocket(o, std::move(h));
  REQUIRE_MESSAGE(c.ok(), c.status().to_string());
  return *c;
}

// What the simulator received from clients on `endpoint`, text and binary only, in order.
std::vector<sim::RecordedMessage> received(const Simulator &sim, const char *endpoint) {
  std::vector<sim::RecordedMessage> out;
  for (auto &r : sim.recorded(endpoint))
    if (r.direction == "in" && (r.kind == "text" || r.kind == "binary")) out.push_back(r);
  return out;
}

WsBuffer numbered(uint32_t n, size_t size) {
  WsBuffer b(size);
  std::memcpy(b.data(), &n, sizeof n);
  return b;
}

uint32_t number_of(std::string_view payload) {
  uint32_t n = 0;
  std::memcpy(&n, payload.data(), sizeof n);
  return n;
}

// A simulator, a runtime and one echo websocket opened on its slot (not yet waited for).
struct EchoOnSlot {
  std::unique_ptr<Simulator> sim = start_sim();
  MetricsRegistry m;
  std::unique_ptr<Runtime> rt = start_runtime(m);
  std::shared_ptr<Slot> slot = rt->pick_slot();
  std::shared_ptr<WsRecorder> rec = std::make_shared<WsRecorder>();
  std::shared_ptr<WsConnection> conn = open_on(*slot, echo(*sim), rec);
};

}  // namespace

TEST_CASE_FIXTURE(EchoOnSlot,
                  "a Clear queued behind 2 s of audio is written first, and discard_queued drops the audio") {
  REQUIRE(rec->wait_open());
  // One slot task queues 100 frames of 20 ms (640 B) and then the Clear: no write can happen
  // in between, so only the lane decides the order.
  std::atomic<bool> queued{false};
  SteadyTime clear_queued_at{};
  REQUIRE(slot->post([&] {
                for (uint32_t i = 0; i < 100; ++i) REQUIRE(conn->send(numbered(i, 640)).ok());
                clear_queued_at = std::chrono::steady_clock::now();
                REQUIRE(conn->send_control_text(R"({"type":"Clear"})").ok());
                queued = true;
              })
              .ok());
  REQUIRE(rec->wait_messages(101, 10000ms));
  CHECK(queued);
  // The write timestamp of the priority lane lies between queueing the Clear and its echo.
  const WsStats after_clear = conn->stats();
  CHECK(after_clear.control_messages_sent == 1);
  CHECK(after_clear.last_control_written >= clear_queued_at);
  CHECK(after_clear.last_control_written <= std::chrono::steady_clock::now());
  auto in = received(*sim, "echo");
  REQUIRE(in.size() == 101);
  CHECK(in[0].kind == "text");
  CHECK(in[0].payload == R"({"type":"Clear"})");
  for (uint32_t i = 0; i < 100; ++i) CHECK(number_of(in[i + 1].payload) == i);
  CHECK(rec->messages()[0].second == R"({"type":"Clear"})");
  CHECK(conn->stats().queued_bytes == 0);

  // Barge-in: the audio still queued is dropped, the control message goes out.
  std::atomic<size_t> discarded{0};
  REQUIRE(slot->post([&] {
                for (uint32_t i = 0; i < 50; ++i) REQUIRE(conn->send(numbered(1000 + i, 640)).ok());
                discarded = conn->discard_queued();
                REQUIRE(conn->send_control_text("after-barge-in").ok());
              })
              .ok());
  REQUIRE(rec->wait_messages(102));
  CHECK(discarded == 50);
  CHECK(rec->messages()[101].second == "after-barge-in");
  CHECK(conn->stats().discarded == 50);
  CHECK(conn->stats().control_messages_sent == 2);
  CHECK(conn->stats().last_control_written > after_clear.last_control_written);
  conn->close();
  REQUIRE(rec->wait_terminal());
  CHECK(received(*sim, "echo").size() == 102);
}

// Sends a Clear on `target` from inside this connection's on_message (an lws callback of another
// connection, as an STT transcript triggers barge-in on the TTS socket), and records whether the
// Clear was already written when send_control returned.
class BargeInTrigger final : public WsRecorder {
 public:
  explicit BargeInTrigger(std::shared_ptr<WsConnection> &target) : target_(target) {}
  void on_message(WsConnection &conn, WsMessage &m) override {
    WsRecorder::on_message(conn, m);
    if (m.data() != "transcript") return;
    const uint64_t before = target_->stats().control_messages_sent;
    sent_ok = target_->send_control_text(R"({"type":"Clear"})").ok();
    written_at_once = target_->stats().control_messages_sent == before + 1;
  }
  std::atomic<bool> sent_ok{false}, written_at_once{false};

 private:
  std::shared_ptr<WsConnection> &target_;
};

TEST_CASE_FIXTURE(
    EchoOnSlot,
    "a Clear sent on the slot thread is written before send_control returns, ahead of queued audio") {
  REQUIRE(rec->wait_open());

  // From a slot task: 20 frames queued, then the Clear, which is on the wire when the call returns
  // while the frames wait for the flush after the task.
  std::atomic<bool> clear_at_once{false}, audio_waited{false};
  REQUIRE(slot->post([&] {
                for (uint32_t i = 0; i < 20; ++i) REQUIRE(conn->send(numbered(i, 640)).ok());
                REQUIRE(conn->send_control_text(R"({"type":"Clear"})").ok());
                const WsStats st = conn->stats();
                clear_at_once = st.control_messages_sent == 1;
                audio_waited = st.messages_sent == 1;  // the Clear only
              })
              .ok());
  REQUIRE(rec->wait_messages(21));
  CHECK(clear_at_once);
  CHECK(audio_waited);
  auto in = received(*sim, "echo");
  REQUIRE(in.size() == 21);
  CHECK(in[0].payload == R"({"type":"Clear"})");
  for (uint32_t i = 0; i < 20; ++i) CHECK(number_of(in[i + 1].payload) == i);

  // From inside another connection's lws callback (its on_message): written at once too.
  auto trigger = std::make_shared<BargeInTrigger>(conn);
  auto stt = open_on(*slot, echo(*sim), trigger);
  REQUIRE(trigger->wait_open());
  REQUIRE(stt->send_text("transcript").ok());  // echoed back: its on_message sends the Clear
  REQUIRE(trigger->wait_messages(1));
  REQUIRE(rec->wait_messages(22));
  CHECK(trigger->sent_ok);
  CHECK(trigger->written_at_once);
  CHECK(rec->messages()[21].second == R"({"type":"Clear"})");
  CHECK(conn->stats().control_messages_sent == 2);
}

TEST_CASE(
    "a send that fails on a reset socket ends the connection once with UNAVAILABLE and hands back its bytes "
    "unmasked") {
  HandshakeThenSilentServer server;
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto slot = rt->pick_slot();
  WsConnectOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/reset";
  auto rec = std::make_shared<WsRecorder>();
  auto conn = open_on(*slot, o, rec);
  REQUIRE(rec->wait_open());
  // The slot is held inside one task while the peer resets, so lws cannot see the RST before
  // the write: the Clear is written at once and the send itself fails.
  const std::string clear = R"({"type":"Clear","seq":7})";
  std::atomic<bool> reset{false}, queued{false};
  REQUIRE(slot->post([&] {
                reset = server.reset_connection();
                std::this_thread::sleep_for(50ms);  // the RST reaches the client socket
                queued = conn->send_control_text(clear).ok();
              })
              .ok());
  REQUIRE(rec->wait_terminal(3000ms));
  CHECK(reset);
  CHECK(queued);
  REQUIRE(rec->error_info().has_value());
  CHECK(rec->error_info()->status.code() == StatusCode::kUnavailable);
  CHECK_MESSAGE(rec->error_info()->status.message().find("write failed") != std::string::npos,
                rec->error_info()->status.to_string());
  std::this_thread::sleep_for(50ms);
  CHECK(rec->terminal_count() == 1);
  CHECK(conn->stats().control_messages_sent == 0);
  auto unsent = conn->take_unsent();
  REQUIRE(unsent.size() == 1);
  CHECK(unsent[0].priority);
  CHECK(unsent[0].payload.view() == clear);  // masking was undone
}

TEST_CASE("take_unsent returns exactly the messages not written, in order, when the peer stops reading") {
  HandshakeThenSilentServer server;
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/silent";
  o.max_queued_bytes = 64u << 20;
  o.max_queued_messages = 4096;
  o.timeouts.send = std::chrono::seconds(30);
  auto rec = std::make_shared<WsRecorder>();
  auto conn = open_on(*rt->pick_slot(), o, rec);
  REQUIRE(rec->wait_open());
  constexpr uint32_t kFrames = 400;
  constexpr size_t kSize = 64u << 10;
  for (uint32_t i = 0; i < kFrames; ++i) REQUIRE(conn->send(numbered(i, kSize)).ok());
  // Wait until the socket is full and writing has stopped.
  uint64_t sent = 0;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(50ms);
    const uint64_t now = conn->stats().messages_sent;
    if (now == sent && now > 0) break;
    sent = now;
  }
  REQUIRE(conn->send_control_text("ctl").ok());
  auto st = conn->stats();
  REQUIRE(st.messages_sent < kFrames);
  auto unsent = conn->take_unsent();
  const uint64_t written = conn->stats().messages_sent;
  REQUIRE(unsent.size() == kFrames - written + 1);
  CHECK(unsent[0].priority);
  CHECK(unsent[0].payload.view() == "ctl");
  for (size_t k = 1; k < unsent.size(); ++k) {
    CHECK(!unsent[k].priority);
    CHECK(unsent[k].payload.size() == kSize);
    CHECK(number_of(unsent[k].payload.view()) == written + k - 1);
  }
  CHECK(conn->stats().queued == 0);
  CHECK(conn->stats().queued_bytes == 0);
  CHECK(conn->take_unsent().empty());
  // abort() ends it at once with its terminal event.
  const auto t0 = std::chrono::steady_clock::now();
  conn->abort();
  REQUIRE(rec->wait_terminal(2000ms));
  CHECK(std::chrono::steady_clock::now() - t0 < 1000ms);
  REQUIRE(rec->error_info().has_value());
  CHECK(rec->error_info()->status.code() == StatusCode::kCancelled);
  CHECK(rec->error_info()->phase == "abort");
  CHECK(conn->send_text("late").code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("dropping the last handle closes the connection with 1000; before open it cancels") {
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<WsRecorder>();
  {
    auto conn = open_on(*rt->pick_slot(), echo(*sim), rec);
    REQUIRE(rec->wait_open());
    auto copy = conn;  // copies share the handle: dropping one does not close
    conn.reset();
    REQUIRE(copy->send_text("still open").ok());
    REQUIRE(rec->wait_messages(1));
  }
  REQUIRE(rec->wait_terminal());
  REQUIRE(rec->close_info().has_value());
  CHECK(rec->close_info()->code == 1000);
  CHECK(!rec->close_info()->by_peer);
  bool saw_close = false;
  for (int i = 0; i < 100 && !saw_close; ++i) {
    for (const auto &r : sim->recorded("echo"))
      if (r.kind == "close" && r.direction == "in" && r.status == 1000) saw_close = true;
    if (!saw_close) std::this_thread::sleep_for(10ms);
  }
  CHECK(saw_close);

  SilentListener silent;
  WsConnectOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(silent.port()) + "/x";
  auto rec2 = std::make_shared<WsRecorder>();
  (void)open_on(*rt->pick_slot(), o, rec2);  // dropped at once
  REQUIRE(rec2->wait_terminal());
  REQUIRE(rec2->error_info().has_value());
  CHECK(rec2->error_info()->status.code() == StatusCode::kCancelled);
  for (int i = 0; i < 100 && rt->active_websockets() > 0; ++i) std::this_thread::sleep_for(10ms);
  CHECK(rt->active_websockets() == 0);
}

TEST_CASE("a received message is taken without a copy, and on_drain fires at the low-water mark") {
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = start_runtime(m);
  struct Taker : WsRecorder {
    std::mutex mu;
    std::vector<std::string> taken;
    std::atomic<int> drains{0};
    std::atomic<bool> drain_on_slot{true};
    std::shared_ptr<Slot> slot;
    void on_message(WsConnection &c, WsMessage &msg) override {
      const void *before = msg.data().data();
      std::string owned = msg.take();
      const bool same_buffer = owned.data() == before || owned.size() < 16;  // SSO strings move by copy
      CHECK(msg.data().empty());
      {
        std::lock_guard<std::mutex> lock(mu);
        taken.push_back(same_buffer ? owned : "COPIED");
      }
      WsRecorder::on_message(c, msg);
    }
    void on_drain(WsConnection &) override {
      if (!slot->running_in_this_thread()) drain_on_slot = false;
      ++drains;
    }
  };
  auto h = std::make_shared<Taker>();
  h->slot = rt->pick_slot();
  auto o = echo(*sim);
  o.send_low_water_bytes = 4096;
  auto conn = open_on(*h->slot, o, h);
  REQUIRE(h->wait_open());
  REQUIRE(h->slot
              ->post([&] {
                for (int i = 0; i < 20; ++i) REQUIRE(conn->send(WsBuffer(1000)).ok());
                REQUIRE(conn->send_text(std::string(3000, 'p')).ok());
              })
              .ok());
  REQUIRE(h->wait_messages(21, 10000ms));
  CHECK(h->drains == 1);
  CHECK(h->drain_on_slot);
  {
    std::lock_guard<std::mutex> lock(h->mu);
    REQUIRE(h->taken.size() == 21);
    CHECK(h->taken[0] == std::string(1000, '\0'));
    CHECK(h->taken[20] == std::string(3000, 'p'));
  }
  conn->close();
  REQUIRE(h->wait_terminal());
}

TEST_CASE("pause_reading stops delivery and resume_reading delivers what arrived meanwhile") {
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<WsRecorder>();
  auto o = echo(*sim);
  o.timeouts.idle = 200ms;  // suspended while paused
  auto conn = open_on(*rt->pick_slot(), o, rec);
  REQUIRE(rec->wait_open());
  conn->pause_reading();
  for (int i = 0; i < 3; ++i) REQUIRE(conn->send_text("p" + std::to_string(i)).ok());
  for (int i = 0; i < 100 && received(*sim, "echo").size() < 3; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(received(*sim, "echo").size() == 3);
  std::this_thread::sleep_for(400ms);
  CHECK(rec->messages().empty());
  CHECK(rec->terminal_count() == 0);
  conn->resume_reading();
  REQUIRE(rec->wait_messages(3));
  for (int i = 0; i < 3; ++i) CHECK(rec->messages()[i].second == "p" + std::to_string(i));
  conn->close();
  REQUIRE(rec->wait_terminal());
  CHECK(rec->close_info().has_value());
}

TEST_CASE("every resolved address is tried in turn: the first refuses, the second works") {
  auto sim = start_sim();
  MetricsRegistry m;
  Logger logger;
  logger.set_level(LogLevel::kDebug);
  std::mutex mu;
  std::vector<std::string> lines;
  logger.set_sink([&](const LogRecord &r) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(std::string(r.component) + ": " + std::string(r.message));
  });
  RuntimeOptions ro;
  ro.metrics = &m;
  ro.logger = &logger;
  ro.dns_lookup = [](const std::string &host) -> Result<std::vector<std::string>> {
    if (host == "two.voxline.test") return std::vector<std::string>{"127.0.0.2", "127.0.0.1"};
    if (host == "none.voxline.test") return std::vector<std::string>{"127.0.0.2", "127.0.0.3"};
    return not_found("unknown test host " + host);
  };
  auto created = Runtime::create(ro);
  REQUIRE(created.ok());
  auto rt = std::move(*created);
  WsConnectOptions o;
  o.url = "ws://two.voxline.test:" + std::to_string(sim->port()) + "/test/echo";
  auto rec = std::make_shared<WsRecorder>();
  auto conn = open_on(*rt->pick_slot(), o, rec);
  REQUIRE_MESSAGE(rec->wait_open(), (rec->error_info() ? rec->error_info()->status.to_string() : ""));
  REQUIRE(conn->send_text("via the second address").ok());
  REQUIRE(rec->wait_messages(1));
  bool logged_fallback = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto &l : lines)
      if (l.find("127.0.0.2") != std::string::npos && l.find("next address") != std::string::npos)
        logged_fallback = true;
  }
  CHECK(logged_fallback);
  bool host_ok = false;
  for (const auto &r : sim->recorded("echo"))
    for (const auto &h : r.headers)
      if (h.first == "host" && h.second == "two.voxline.test:" + std::to_string(sim->port())) host_ok = true;
  CHECK(host_ok);  // the name, not the address, in the Host header
  conn->close();
  REQUIRE(rec->wait_terminal());

  o.url = "ws://none.voxline.test:" + std::to_string(sim->port()) + "/test/echo";
  auto rec2 = std::make_shared<WsRecorder>();
  auto conn2 = open_on(*rt->pick_slot(), o, rec2);
  REQUIRE(rec2->wait_terminal());
  REQUIRE(rec2->error_info().has_value());
  CHECK(rec2->error_info()->status.code() == StatusCode::kUnavailable);
  CHECK(rec2->error_info()->phase == "connect");
  CHECK(rec2->error_info()->status.message().find("127.0.0.3") != std::string::npos);
  // lws' own log lines (its start-up notice at least) reach the Runtime's logger as "lws".
  bool lws_line = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto &l : lines)
      if (l.rfind("lws: ", 0) == 0) lws_line = true;
  }
  CHECK(lws_line);
}

TEST_CASE(
    "Deepgram's dg-request-id and dg-error response headers, and the refusal body, are kept on open and on "
    "refusal") {
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = sim->ws_url("/v1/listen?encoding=linear16&sample_rate=16000");
  o.headers = {{"Authorization", "Token test-key"}};
  auto rec = std::make_shared<WsRecorder>();
  auto conn = open_on(*rt->pick_slot(), o, rec);
  REQUIRE(rec->wait_open());
  CHECK(!rec->open_info()->request_id.empty());
  conn->close();
  REQUIRE(rec->wait_terminal());

  o.headers = {{"Authorization", "Token wrong-key"}};
  auto rec2 = std::make_shared<WsRecorder>();
  auto conn2 = open_on(*rt->pick_slot(), o, rec2);
  REQUIRE(rec2->wait_terminal());
  auto e = rec2->error_info();
  REQUIRE(e.has_value());
  CHECK(e->http_status == 401);
  CHECK(e->status.code() == StatusCode::kUnauthenticated);
  CHECK(find_header(e->headers, "dg-request-id").has_value());
  REQUIRE(find_header(e->headers, "dg-error").has_value());
  CHECK(e->status.message().find(std::string(*find_header(e->headers, "dg-error"))) != std::string::npos);
  // The body Deepgram sends with a refusal (JSON with err_code) arrives whole.
  CHECK(find_header(e->headers, "content-type") == std::string_view("application/json"));
  CHECK_MESSAGE(e->body.find(R"("err_code":"INVALID_AUTH")") != std::string::npos, e->body);
  CHECK(e->body.back() == '}');
}

TEST_CASE("a close() while an oversized-message close is under way is not reported as CANCELLED") {
  auto sim = start_sim();
  MetricsRegistry m;
  auto rt = start_runtime(m);
  for (int round = 0; round < 5; ++round) {
    auto o = echo(*sim);
    o.max_message_bytes = 1000;
    auto rec = std::make_shared<WsRecorder>();
    auto conn = open_on(*rt->pick_slot(), o, rec);
    REQUIRE(rec->wait_open());
    REQUIRE(conn->send_text(std::string(5000, 'x')).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(round));
    while (rec->terminal_count() == 0) {
      (void)conn->close(1000, "owner");
      std::this_thread::sleep_for(1ms);
    }
    // Either our close won (a clean close) or the 1009 close did (PROTOCOL_ERROR); never CANCELLED.
    if (auto e = rec->error_info()) CHECK(e->status.code() == StatusCode::kProtocolError);
    if (auto c = rec->close_info()) CHECK(c->code == 1000);
  }
}

TEST_CASE("create fails with FAILED_PRECONDITION when RLIMIT_NOFILE cannot cover max_connections") {
  RuntimeOptions o;
  o.max_connections = size_t{1} << 20;  // above the kernel's default nr_open once the reserve is added
  auto rt = Runtime::create(o);
  REQUIRE(!rt.ok());
  CHECK(rt.status().code() == StatusCode::kFailedPrecondition);
  CHECK(rt.status().message().find("RLIMIT_NOFILE") != std::string::npos);
  o.max_connections = 0;
  CHECK(Runtime::create(o).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("2000 concurrent websockets on one slot all open, exchange a message and close") {
  constexpr int kConns = 2000;
  // This process holds both ends (the simulator runs in-process): about 2 descriptors each.
  rlimit lim{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  if (lim.rlim_cur < 2 * kConns + 256 && lim.rlim_max >= 2 * kConns + 256) {
    lim.rlim_cur = lim.rlim_max;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
  }
  REQUIRE_MESSAGE(lim.rlim_cur >= 2 * kConns + 256, "RLIMIT_NOFILE too low for this test: " << lim.rlim_cur);
  auto sim = start_sim();
  MetricsRegistry m;
  RuntimeOptions ro;
  ro.metrics = &m;
  ro.max_connections = kConns + 16;
  auto created = Runtime::create(ro);
  REQUIRE(created.ok());
  auto rt = std::move(*created);
  auto slot = rt->slot(0);
  std::vector<std::shared_ptr<WsRecorder>> recs;
  std::vector<std::shared_ptr<WsConnection>> conns;
  auto o = echo(*sim);
  o.timeouts.connect = std::chrono::seconds(30);
  o.timeouts.handshake = std::chrono::seconds(30);
  for (int i = 0; i < kConns; ++i) {
    recs.push_back(std::make_shared<WsRecorder>());
    conns.push_back(open_on(*slot, o, recs.back()));
    REQUIRE(conns.back()->send_text("c" + std::to_string(i)).ok());
  }
  CHECK(slot->load() == kConns);
  for (int i = 0; i < kConns; ++i) {
    REQUIRE_MESSAGE(
        recs[i]->wait_messages(1, 60000ms),
        "connection " << i << ": "
                      << (recs[i]->error_info() ? recs[i]->error_info()->status.to_string() : ""));
    CHECK(recs[i]->messages()[0].second == "c" + std::to_string(i));
  }
  CHECK(m.gauge("voxline_net_ws_connections_open", "").value() == kConns);
  for (auto &c : conns) REQUIRE(c->close().ok());
  for (auto &r : recs) {
    REQUIRE(r->wait_terminal(30000ms));
    CHECK(r->close_info().has_value());
    CHECK(r->single_thread());
  }
  CHECK(rt->active_websockets() == 0);
  CHECK(slot->load() == 0);
}

namespace {

// The close code of the first (masked) close frame a client sent in `bytes`, or -1.
int client_close_code(const std::string &bytes) {
  size_t i = 0;
  while (i + 6 <= bytes.size()) {
    const auto op = static_cast<uint8_t>(bytes[i]) & 0x0F;
    const size_t len = static_cast<uint8_t>(bytes[i + 1]) & 0x7F;  // client control frames: < 126
    if (len >= 126 || i + 6 + len > bytes.size()) return -1;
    const char *mask = &bytes[i + 2];
    if (op == 0x8 && len >= 2) {
      const auto b0 = static_cast<uint8_t>(bytes[i + 6] ^ mask[0]),
                 b1 = static_cast<uint8_t>(bytes[i + 7] ^ mask[1]);
      return (b0 << 8) | b1;
    }
    i += 6 + len;
  }
  return -1;
}

}  // namespace

TEST_CASE(
    "a text message that is not valid UTF-8 fails the connection with close 1007 and is never delivered") {
  // A valid text message first, then "(A" after a lone 0xC3 lead byte: invalid in the second.
  const std::string frames = std::string("\x81\x02ok", 4) + std::string("\x81\x03\xC3\x28\x41", 5);
  HandshakeThenSilentServer server(frames);
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/utf8";
  auto rec = std::make_shared<WsRecorder>();
  auto conn = open_on(*rt->pick_slot(), o, rec);
  REQUIRE(rec->wait_terminal(3000ms));
  REQUIRE(rec->error_info().has_value());
  CHECK(rec->error_info()->status.code() == StatusCode::kProtocolError);
  CHECK_MESSAGE(rec->error_info()->status.message().find("UTF-8") != std::string::npos,
                rec->error_info()->status.to_string());
  REQUIRE(rec->messages().size() == 1);
  CHECK(rec->messages()[0].second == "ok");
  CHECK(eventually([&] { return client_close_code(server.received()) == 1007; }));
}

TEST_CASE("a close frame whose reason is not valid UTF-8 is answered with 1007") {
  HandshakeThenSilentServer server(std::string("\x88\x03\x03\xE8\xFF", 5));  // 1000 + a 0xFF byte
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/utf8-close";
  auto rec = std::make_shared<WsRecorder>();
  auto conn = open_on(*rt->pick_slot(), o, rec);
  REQUIRE(rec->wait_terminal(3000ms));
  REQUIRE(rec->error_info().has_value());
  CHECK(rec->error_info()->status.code() == StatusCode::kProtocolError);
  CHECK(eventually([&] { return client_close_code(server.received()) == 1007; }));
}

TEST_CASE("binary messages are never UTF-8 checked") {
  HandshakeThenSilentServer server(std::string("\x82\x02\xFF\xFE", 4));
  MetricsRegistry m;
  auto rt = start_runtime(m);
  WsConnectOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/binary";
  auto rec = std::make_shared<WsRecorder>();
  auto conn = open_on(*rt->pick_slot(), o, rec);
  REQUIRE(rec->wait_messages(1));
  CHECK(rec->messages()[0].second == std::string("\xFF\xFE", 2));
  CHECK(rec->terminal_count() == 0);
}
