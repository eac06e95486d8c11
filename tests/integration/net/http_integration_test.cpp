// Streaming HTTP client (Runtime + libcurl multi) against voxline-sim over plain http and TLS,
// with every HTTP/SSE fault the simulator scripts, and against raw sockets for timeouts.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/net/net_test_support.hpp"
#include "support/temp_dir.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/retry_policy.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline_sim/simulator.hpp"

using namespace voxline;
using namespace voxline::nettest;
using voxline::sim::SimOptions;
using voxline::sim::Simulator;

namespace {

// Five events 60 ms apart, one of them multi-line, with a comment in between.
const char *kFiveEvents = R"({"sse":{"events":[
  {"data":"one","delay_ms":0},{"comment":" keep-alive","data":"two","delay_ms":60},
  {"event":"update","id":"3","data":"line a\nline b","delay_ms":60},{"data":"","delay_ms":60},
  {"data":"[DONE]","delay_ms":60}]}})";

HttpRequest sse_request(const Simulator &sim) {
  HttpRequest r;
  r.url = sim.http_url("/test/sse");
  r.headers = {{"Authorization", "Bearer test-key"}, {"X-Voxline-Test", "1"}};
  r.body = "{}";
  r.timeouts.connect = std::chrono::seconds(3);
  r.timeouts.first_byte = std::chrono::seconds(3);
  r.timeouts.idle = std::chrono::seconds(3);
  return r;
}

std::shared_ptr<HttpStream> start(Runtime &rt, HttpRequest r, std::shared_ptr<HttpRecorder> rec) {
  auto s = rt.start_http(std::move(r), rec);
  REQUIRE_MESSAGE(s.ok(), s.status().to_string());
  return *s;
}

struct TlsFiles {
  testing::TempDir dir{"voxline-net-tls"};
  std::string cert = dir.file("cert.pem");
  std::string key = dir.file("key.pem");
  TlsFiles() { REQUIRE(sim::write_test_certificate(cert, key).ok()); }
};

}  // namespace

TEST_CASE("http streams SSE chunk by chunk as the server sends them and parses identical events") {
  auto sim = start_sim(kFiveEvents);
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<HttpRecorder>();
  const auto t0 = std::chrono::steady_clock::now();
  auto s = start(*rt, sse_request(*sim), rec);
  REQUIRE(rec->wait_complete());
  auto c = rec->completion();
  CHECK_MESSAGE(c.status.ok(), c.status.to_string());
  CHECK(c.http_status == 200);
  CHECK(c.phase == "done");
  CHECK(c.first_byte_delivered);
  CHECK(find_header(c.headers, "content-type") == std::string_view("text/event-stream"));
  auto ev = rec->events();
  REQUIRE(ev.size() == 5);
  CHECK(ev[0].data == "one");
  CHECK(ev[1].data == "two");
  CHECK(ev[2].event == "update");
  CHECK(ev[2].id == "3");
  CHECK(ev[2].data == "line a\nline b");
  CHECK(ev[3].data.empty());
  CHECK(ev[4].data == "[DONE]");
  // Streaming, not buffered: the first event arrived well before the last one was sent (240 ms).
  REQUIRE(rec->first_data_at().has_value());
  CHECK(*rec->first_data_at() - t0 < rec->completed_at() - t0 - std::chrono::milliseconds(150));
  CHECK(rec->chunk_count() >= 4);
  for (int i = 0; i < 100 && !s->done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(s->done());  // set once on_complete has returned
  CHECK(rec->completions() == 1);
  // The simulator saw our body and headers.
  bool saw = false;
  for (const auto &r : sim->recorded("sse")) {
    if (r.kind != "http_request") continue;
    saw = r.payload == "{}";
    bool auth = false;
    for (const auto &h : r.headers)
      auth = auth || (h.first == "authorization" && h.second == "Bearer test-key");
    CHECK(auth);
  }
  CHECK(saw);
  CHECK(rt->active_http_streams() == 0);
}

TEST_CASE(
    "http maps 401, 403, 429, 500 and 503 to status codes and exposes retry-after hints and the error body") {
  auto sim = start_sim();
  const std::vector<std::string> faults = {
      R"({"endpoint":"sse","type":"status","status":401})",
      R"({"endpoint":"sse","type":"status","status":403})",
      R"({"endpoint":"sse","type":"status","status":429,"retry_after":"2","retry_after_ms":1500})",
      R"({"endpoint":"sse","type":"status","status":500})",
      R"({"endpoint":"sse","type":"status","status":503,"retry_after":"1","should_retry":false})"};
  MetricsRegistry m;
  auto rt = start_runtime(m);
  const std::vector<std::pair<int, StatusCode>> expected = {{401, StatusCode::kUnauthenticated},
                                                            {403, StatusCode::kUnauthenticated},
                                                            {429, StatusCode::kRateLimited},
                                                            {500, StatusCode::kUnavailable},
                                                            {503, StatusCode::kUnavailable}};
  RetryPolicy policy(
      {3, std::chrono::milliseconds(100), std::chrono::seconds(1), std::chrono::seconds(60)},
      [] { return 0.5; }, &m);
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto [code, status] = expected[i];
    REQUIRE(sim->load_scenario(R"({"faults":[)" + faults[i] + "]}").ok());
    auto rec = std::make_shared<HttpRecorder>();
    start(*rt, sse_request(*sim), rec);
    REQUIRE(rec->wait_complete());
    auto c = rec->completion();
    CHECK(c.http_status == code);
    CHECK(c.status.code() == status);
    CHECK(!c.first_byte_delivered);
    CHECK(!c.error_body.empty());
    CHECK(rec->body().empty());  // a non-2xx body never reaches on_data
    auto hints = c.retry_hints();
    auto d = policy.decide(c.status, 1, hints);
    if (code == 429) {
      REQUIRE(hints.server_delay.has_value());
      CHECK(*hints.server_delay == std::chrono::milliseconds(1500));  // retry-after-ms wins
      CHECK(d.retry);
      CHECK(d.delay == std::chrono::milliseconds(1500));
    } else if (code == 500) {
      CHECK(d.retry);
    } else if (code == 503) {
      CHECK(hints.server_should_retry == false);
      CHECK(!d.retry);
    } else {
      CHECK(!d.retry);
    }
  }
  CHECK(m.counter("voxline_net_errors_total", "", {{"transport", "http"}, {"status", "UNAUTHENTICATED"}})
            .value() == 2);
}

TEST_CASE("http retry helper recovers from a 503 before the first byte and the second attempt streams") {
  auto sim =
      start_sim(std::string(R"({"faults":[{"endpoint":"sse","type":"status","status":503,"first_n":1}],)") +
                (kFiveEvents + 1));
  MetricsRegistry m;
  auto rt = start_runtime(m);
  RetryPolicy policy(
      {3, std::chrono::milliseconds(20), std::chrono::milliseconds(50), std::chrono::seconds(5)}, {}, &m);
  HttpCompletion last;
  int attempts = 0;
  std::shared_ptr<HttpRecorder> rec;
  for (;;) {
    ++attempts;
    rec = std::make_shared<HttpRecorder>();
    start(*rt, sse_request(*sim), rec);
    REQUIRE(rec->wait_complete());
    last = rec->completion();
    auto d = policy.decide(last.status, attempts, last.retry_hints());
    if (!d.retry) break;
    std::this_thread::sleep_for(d.delay);
  }
  CHECK(attempts == 2);
  CHECK(last.status.ok());
  CHECK(rec->events().size() == 5);
  CHECK(m.counter("voxline_net_retries_total", "").value() == 1);
}

TEST_CASE(
    "http connection dropped mid-stream gives UNAVAILABLE after the first byte, which is never retried") {
  auto sim = start_sim(std::string(R"({"faults":[{"endpoint":"sse","type":"drop","after_messages":2}],)") +
                       (kFiveEvents + 1));
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<HttpRecorder>();
  start(*rt, sse_request(*sim), rec);
  REQUIRE(rec->wait_complete());
  auto c = rec->completion();
  CHECK(c.status.code() == StatusCode::kUnavailable);
  CHECK(c.phase == "body");
  CHECK(c.first_byte_delivered);
  CHECK(rec->events().size() == 2);
  CHECK(!RetryPolicy().decide(c.status, 1, c.retry_hints()).retry);
}

TEST_CASE("http stalled stream trips the idle deadline with TIMEOUT") {
  auto sim = start_sim(
      std::string(R"({"faults":[{"endpoint":"sse","type":"stall","stall_ms":3000,"after_messages":1}],)") +
      (kFiveEvents + 1));
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<HttpRecorder>();
  auto r = sse_request(*sim);
  r.timeouts.idle = std::chrono::milliseconds(300);
  const auto t0 = std::chrono::steady_clock::now();
  start(*rt, r, rec);
  REQUIRE(rec->wait_complete());
  auto c = rec->completion();
  CHECK(c.status.code() == StatusCode::kTimeout);
  CHECK(c.phase == "idle");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(2500));
  CHECK(rec->events().size() == 1);
  CHECK(m.counter("voxline_net_timeouts_total", "", {{"phase", "idle"}}).value() == 1);
}

TEST_CASE("http first-byte deadline gives TIMEOUT when the server accepts but never answers") {
  SilentListener silent;
  MetricsRegistry m;
  auto rt = start_runtime(m);
  HttpRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/v1/chat/completions";
  r.body = "{}";
  r.timeouts.first_byte = std::chrono::milliseconds(300);
  auto rec = std::make_shared<HttpRecorder>();
  start(*rt, r, rec);
  REQUIRE(rec->wait_complete(3000ms));
  auto c = rec->completion();
  CHECK(c.status.code() == StatusCode::kTimeout);
  CHECK(c.phase == "first_byte");
  CHECK(c.http_status == 0);
}

TEST_CASE(
    "http connect deadline gives TIMEOUT when the TCP connect never completes, refused port gives "
    "UNAVAILABLE") {
  SilentListener full(/*backlog_full=*/true);
  MetricsRegistry m;
  auto rt = start_runtime(m);
  HttpRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(full.port()) + "/";
  r.timeouts.connect = std::chrono::milliseconds(300);
  r.timeouts.first_byte = std::chrono::milliseconds(600);
  auto rec = std::make_shared<HttpRecorder>();
  start(*rt, r, rec);
  REQUIRE(rec->wait_complete(3000ms));
  CHECK(rec->completion().status.code() == StatusCode::kTimeout);
  CHECK((rec->completion().phase == "connect" || rec->completion().phase == "first_byte"));

  int port;
  {
    SilentListener gone;
    port = gone.port();
  }
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto rec2 = std::make_shared<HttpRecorder>();
  start(*rt, r, rec2);
  REQUIRE(rec2->wait_complete());
  CHECK(rec2->completion().status.code() == StatusCode::kUnavailable);
  CHECK(rec2->completion().phase == "connect");
}

TEST_CASE(
    "http broken SSE is delivered as sent: garbage lines are ignored, a truncated event leaves a partial") {
  auto sim = start_sim(std::string(R"({"faults":[
      {"endpoint":"sse","type":"garbage_line","after_messages":1},
      {"endpoint":"sse","type":"malformed_json","after_messages":0}],)") +
                       (kFiveEvents + 1));
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<HttpRecorder>();
  start(*rt, sse_request(*sim), rec);
  REQUIRE(rec->wait_complete());
  CHECK(rec->completion().status.ok());  // transport-wise the response completed
  CHECK(rec->events().size() >= 2);

  REQUIRE(
      sim->load_scenario(
             std::string(R"({"faults":[{"endpoint":"sse","type":"truncated_event","after_messages":2}],)") +
             (kFiveEvents + 1))
          .ok());
  auto rec2 = std::make_shared<HttpRecorder>();
  start(*rt, sse_request(*sim), rec2);
  REQUIRE(rec2->wait_complete());
  auto ev = rec2->events();
  bool done_seen = false;
  for (auto &e : ev) done_seen = done_seen || e.data == "[DONE]";
  CHECK(!done_seen);
  CHECK(rec2->partial_at_end());
}

TEST_CASE("http error event mid-stream reaches the owner as an SSE event before the response ends") {
  auto sim =
      start_sim(std::string(R"({"faults":[{"endpoint":"sse","type":"error_event","after_messages":1}],)") +
                (kFiveEvents + 1));
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<HttpRecorder>();
  start(*rt, sse_request(*sim), rec);
  REQUIRE(rec->wait_complete());
  auto ev = rec->events();
  REQUIRE(ev.size() >= 2);
  CHECK(ev[1].data.find("\"error\"") != std::string::npos);
}

TEST_CASE("http cancel from another thread mid-stream ends the stream with exactly one CANCELLED") {
  auto sim = start_sim(R"({"sse":{"events":[{"data":"a"},{"data":"b","delay_ms":2000}]}})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<HttpRecorder>();
  auto s = start(*rt, sse_request(*sim), rec);
  REQUIRE(rec->wait_events(1));
  const auto t0 = std::chrono::steady_clock::now();
  std::thread canceller([s] {
    s->cancel();
    s->cancel();
  });
  canceller.join();
  REQUIRE(rec->wait_complete(1000ms));
  CHECK(rec->completed_at() - t0 <
        std::chrono::milliseconds(500));  // one loop turn, with slack for loaded CI
  CHECK(rec->completion().status.code() == StatusCode::kCancelled);
  CHECK(rec->completions() == 1);
  s->cancel();  // after completion: nothing happens
  std::this_thread::sleep_for(30ms);
  CHECK(rec->completions() == 1);
  CHECK(rec->after_terminal() == 0);

  // Cancel racing with completion, many times: always exactly one terminal event.
  auto sim2 = start_sim(R"({"sse":{"events":[{"data":"x"}]}})");
  std::vector<std::shared_ptr<HttpRecorder>> recs;
  for (int i = 0; i < 60; ++i) {
    recs.push_back(std::make_shared<HttpRecorder>());
    auto st = start(*rt, sse_request(*sim2), recs.back());
    if (i % 4 != 0) std::this_thread::sleep_for(std::chrono::microseconds(300 * (i % 9)));
    st->cancel();
  }
  for (auto &r : recs) {
    REQUIRE(r->wait_complete());
    const auto code = r->completion().status.code();
    CHECK((code == StatusCode::kOk || code == StatusCode::kCancelled));
  }
  std::this_thread::sleep_for(30ms);
  for (auto &r : recs) CHECK(r->completions() == 1);
  CHECK(rt->active_http_streams() == 0);
}

TEST_CASE("http chat completions stream from the simulator ends with DONE") {
  auto sim = start_sim(R"({"llm":{"default_reply":{"content":"Hello from the simulator."}}})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  HttpRequest r;
  r.url = sim->http_url("/v1/chat/completions");
  r.headers = {{"Authorization", "Bearer test-key"}};
  r.body = R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  auto rec = std::make_shared<HttpRecorder>();
  start(*rt, r, rec);
  REQUIRE(rec->wait_complete());
  CHECK_MESSAGE(rec->completion().status.ok(), rec->completion().status.to_string()
                                                   << " " << rec->completion().error_body);
  auto ev = rec->events();
  REQUIRE(ev.size() >= 3);
  CHECK(ev.back().data == "[DONE]");
  std::string text;
  for (auto &e : ev) text += e.data;
  CHECK(text.find("Hello") != std::string::npos);
}

TEST_CASE(
    "https verifies the certificate with the test CA, by IP and by host name, and refuses an unknown CA") {
  TlsFiles tls;
  auto sim = start_sim(kFiveEvents, tls.cert, tls.key);
  MetricsRegistry m;
  {
    TlsOptions t;
    t.ca_file = tls.cert;
    auto rt = start_runtime(m, t);
    for (const std::string host : {"127.0.0.1", "localhost"}) {
      auto r = sse_request(*sim);
      r.url = "https://" + host + ":" + std::to_string(sim->port()) + "/test/sse";
      auto rec = std::make_shared<HttpRecorder>();
      start(*rt, r, rec);
      REQUIRE(rec->wait_complete());
      CHECK_MESSAGE(rec->completion().status.ok(), host << ": " << rec->completion().status.to_string());
      CHECK(rec->events().size() == 5);
    }
  }
  {
    auto rt = start_runtime(m);
    auto rec = std::make_shared<HttpRecorder>();
    start(*rt, sse_request(*sim), rec);
    REQUIRE(rec->wait_complete());
    CHECK(rec->completion().status.code() == StatusCode::kUnavailable);
    CHECK(rec->completion().status.message().find("TLS") != std::string::npos);
  }
  {
    TlsOptions t;
    t.insecure_skip_verify = true;
    auto rt = start_runtime(m, t);
    auto rec = std::make_shared<HttpRecorder>();
    start(*rt, sse_request(*sim), rec);
    REQUIRE(rec->wait_complete());
    CHECK(rec->completion().status.ok());
  }
}

TEST_CASE("runtime shutdown completes live HTTP streams with CANCELLED") {
  auto sim = start_sim(R"({"sse":{"events":[{"data":"a"},{"data":"b","delay_ms":5000}]}})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto rec = std::make_shared<HttpRecorder>();
  auto s = start(*rt, sse_request(*sim), rec);
  REQUIRE(rec->wait_events(1));
  rt.reset();
  CHECK(rec->completions() == 1);
  CHECK(rec->completion().status.code() == StatusCode::kCancelled);
  s->cancel();  // the runtime is gone: harmless
}

TEST_CASE("start_http rejects bad URLs, methods, headers and a null handler with INVALID_ARGUMENT") {
  MetricsRegistry m;
  auto rt = start_runtime(m);
  HttpRequest r;
  r.url = "ws://127.0.0.1/";
  CHECK(rt->start_http(r, std::make_shared<HttpRecorder>()).status().code() == StatusCode::kInvalidArgument);
  r.url = "http://127.0.0.1:1/";
  CHECK(rt->start_http(r, nullptr).status().code() == StatusCode::kInvalidArgument);
  r.method = "post me";
  CHECK(rt->start_http(r, std::make_shared<HttpRecorder>()).status().code() == StatusCode::kInvalidArgument);
  r.method = "POST";
  r.headers = {{"X", "a\r\nInjected: 1"}};
  CHECK(rt->start_http(r, std::make_shared<HttpRecorder>()).status().code() == StatusCode::kInvalidArgument);
}
