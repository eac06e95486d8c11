// Connection reuse of the HTTP engine on the slot loops: HTTP/2 multiplexing through a real
// nghttpx (TLS, h2 over ALPN) in front of voxline-sim, where cancelling a stream keeps the
// connection; HTTP/1.1 keep-alive against the simulator; preconnect; and the slot-thread contract
// of every HTTP callback.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/net/net_test_support.hpp"
#include "integration/net/slot_http_recorder.hpp"
#include "support/nghttpx_proxy.hpp"
#include "support/temp_dir.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/slot.hpp"
#include "voxline_sim/simulator.hpp"

using namespace voxline;
using namespace voxline::nettest;
using voxline::testing::NghttpxProxy;

namespace {

// "a" at once, "b" 100 ms later, then nothing for 10 s: a stream that is cancelled mid-body.
const char *kLongStream =
    R"({"sse":{"events":[{"data":"a"},{"data":"b","delay_ms":100},{"data":"c","delay_ms":10000}]}})";
const char *kShortStream = R"({"sse":{"events":[{"data":"x"},{"data":"[DONE]","delay_ms":20}]}})";

struct Certs {
  testing::TempDir dir{"voxline-http-conn"};
  std::string cert = dir.file("cert.pem");
  std::string key = dir.file("key.pem");
  Certs() { REQUIRE(sim::write_test_certificate(cert, key).ok()); }
};

std::unique_ptr<Runtime> runtime(MetricsRegistry &m, const std::string &ca_file = {}, int slots = 1,
                                 int max_streams_per_connection = defaults::kHttpMaxStreamsPerConnection,
                                 HttpClient client = HttpClient::kAuto) {
  RuntimeOptions o;
  o.http_client = client;
  o.metrics = &m;
  o.tls.ca_file = ca_file;
  o.slots = slots;
  o.http_max_streams_per_connection = max_streams_per_connection;
  return start_runtime(o);
}

HttpRequest sse(const std::string &url, const std::string &body = "{}") {
  HttpRequest r;
  r.url = url;
  r.body = body;
  r.timeouts.connect = std::chrono::seconds(5);
  r.timeouts.first_byte = std::chrono::seconds(5);
  r.timeouts.idle = std::chrono::seconds(15);
  return r;
}

std::shared_ptr<HttpStream> start(Slot &slot, HttpRequest r, std::shared_ptr<HttpStreamHandler> h) {
  auto s = slot.start_http(std::move(r), std::move(h));
  REQUIRE_MESSAGE(s.ok(), s.status().to_string());
  return *s;
}

uint64_t counter(MetricsRegistry &m, const char *name, const MetricLabels &labels = {}) {
  return m.counter(name, "", labels).value();
}

}  // namespace

TEST_CASE(
    "five cancelled HTTP/2 streams share one TLS connection through nghttpx, which the next request reuses") {
  if (!testing::nghttpx_tests_can_run()) return;
  Certs certs;
  auto sim = start_sim(kLongStream);
  NghttpxProxy proxy;
  REQUIRE(proxy.start(sim->port(), certs.cert, certs.key).ok());
  MetricsRegistry m;
  auto rt = runtime(m, certs.cert, 1, defaults::kHttpMaxStreamsPerConnection, HttpClient::kCurl);
  auto slot = rt->slot(0);

  // Five concurrent streams: the first opens the connection, the others wait for it (PIPEWAIT)
  // and are multiplexed onto it. Each is cancelled mid-body, from another thread.
  std::vector<std::shared_ptr<SlotHttpRecorder>> recs;
  std::vector<std::shared_ptr<HttpStream>> streams;
  for (int i = 0; i < 5; ++i) {
    recs.push_back(std::make_shared<SlotHttpRecorder>(slot));
    streams.push_back(start(*slot, sse(proxy.url("/test/sse")), recs.back()));
  }
  for (auto &r : recs) REQUIRE(r->wait_events(2));
  std::thread canceller([&] {
    for (auto &s : streams) s->cancel();
  });
  canceller.join();
  int opened = 0;
  std::set<int> ports;
  for (auto &r : recs) {
    REQUIRE(r->wait_complete());
    const HttpCompletion c = r->completion();
    CHECK(c.status.code() == StatusCode::kCancelled);
    CHECK(c.http_version == 20);
    CHECK(r->events().size() == 2);
    CHECK(r->contract_kept());
    opened += c.connections_opened;
    ports.insert(c.local_port);
  }
  // A sixth request after the cancels still finds the connection open.
  REQUIRE(sim->load_scenario(kShortStream).ok());
  auto after = std::make_shared<SlotHttpRecorder>(slot);
  start(*slot, sse(proxy.url("/test/sse")), after);
  REQUIRE(after->wait_complete());
  CHECK_MESSAGE(after->completion().status.ok(), after->completion().status.to_string());
  CHECK(after->completion().http_version == 20);
  opened += after->completion().connections_opened;
  ports.insert(after->completion().local_port);

  CHECK(opened == 1);  // CURLINFO_NUM_CONNECTS summed over all six
  CHECK(ports.size() == 1);
  CHECK(counter(m, "voxline_net_http_connections_opened_total") == 1);
  // The proxy's own view: six h2 streams, all from one client connection; the cancelled ones
  // ended after the two events they delivered (nghttpx saw each RST_STREAM).
  REQUIRE(eventually([&] { return proxy.access_log().size() >= 6; }));
  const auto log = proxy.access_log();
  CHECK(proxy.client_connections() == 1);
  for (const auto &line : log) CHECK(line.alpn == "h2");
  CHECK(rt->active_http_streams() == 0);
}

TEST_CASE(
    "http_max_streams_per_connection caps the HTTP/2 streams on one connection: 5 streams at most 2 "
    "each need at least 3 connections") {
  if (!testing::nghttpx_tests_can_run()) return;
  Certs certs;
  auto sim = start_sim(kLongStream);
  NghttpxProxy proxy;
  REQUIRE(proxy.start(sim->port(), certs.cert, certs.key).ok());
  MetricsRegistry m;
  auto rt = runtime(m, certs.cert, 1, 2, HttpClient::kCurl);
  auto slot = rt->slot(0);
  std::vector<std::shared_ptr<SlotHttpRecorder>> recs;
  std::vector<std::shared_ptr<HttpStream>> streams;
  for (int i = 0; i < 5; ++i) {
    recs.push_back(std::make_shared<SlotHttpRecorder>(slot));
    streams.push_back(start(*slot, sse(proxy.url("/test/sse")), recs.back()));
  }
  for (auto &r : recs) REQUIRE(r->wait_events(2));  // all five run at once
  for (auto &s : streams) s->cancel();
  std::map<int, int> streams_per_port;
  for (auto &r : recs) {
    REQUIRE(r->wait_complete());
    CHECK(r->completion().http_version == 20);
    ++streams_per_port[r->completion().local_port];
  }
  // At least ceil(5 / 2) connections; more when a stream starts while the next connection is
  // still being set up (curl then opens another instead of waiting).
  CHECK(streams_per_port.size() >= 3);
  // No structured binding: doctest's message lambda cannot capture one in C++17 (clang refuses).
  for (const auto &entry : streams_per_port)
    CHECK_MESSAGE(entry.second <= 2, "port " << entry.first << " carried " << entry.second);
  CHECK(counter(m, "voxline_net_http_connections_opened_total") == streams_per_port.size());
  streams.clear();
  rt.reset();  // closes the connections: nghttpx logs a reset stream once its backend side ends
  const bool logged = eventually([&] { return proxy.access_log().size() >= 5; });
  CHECK_MESSAGE(logged, "nghttpx logged " << proxy.access_log().size() << " streams");
  std::map<int, int> proxy_view;
  for (const auto &line : proxy.access_log()) ++proxy_view[line.client_port];
  CHECK(proxy_view == streams_per_port);
}

TEST_CASE(
    "HTTP/1.1 keep-alive: sequential requests to the simulator reuse one connection, an error response too") {
  auto sim = start_sim(kShortStream);
  MetricsRegistry m;
  auto rt = runtime(m);
  auto slot = rt->slot(0);
  std::vector<HttpCompletion> done;
  for (int i = 0; i < 4; ++i) {
    auto rec = std::make_shared<SlotHttpRecorder>(slot);
    HttpRequest r = sse(sim->http_url(i == 2 ? "/v1/no-such-endpoint" : "/test/sse"));
    start(*slot, r, rec);
    REQUIRE(rec->wait_complete());
    CHECK(rec->contract_kept());
    done.push_back(rec->completion());
  }
  CHECK(done[0].status.ok());
  CHECK(done[2].http_status == 404);
  CHECK(done[3].status.ok());
  CHECK(done[0].connections_opened == 1);
  for (size_t i = 1; i < done.size(); ++i) {
    CHECK(done[i].http_version == 11);
    CHECK(done[i].connections_opened == 0);
    CHECK(done[i].local_port == done[0].local_port);
  }
  CHECK(counter(m, "voxline_net_http_connections_opened_total") == 1);
}

TEST_CASE("preconnect warms a TLS connection that the first request then reuses, over HTTP/1.1 and HTTP/2") {
  Certs certs;
  // One simulator at a time: lws 4.1 formats log lines in a shared buffer, so two lws server
  // contexts starting and serving on two threads race in it (TSan).
  for (bool h2 : {false, true}) {
    if (h2 && !testing::nghttpx_tests_can_run()) continue;
    // HTTP/1.1: the simulator's own TLS; HTTP/2: nghttpx (TLS, h2 ALPN) in front of it.
    auto sim = h2 ? start_sim(kShortStream) : start_sim(kShortStream, certs.cert, certs.key);
    NghttpxProxy proxy;
    std::string url = "https://localhost:" + std::to_string(sim->port()) + "/test/sse";
    if (h2) {
      REQUIRE(proxy.start(sim->port(), certs.cert, certs.key).ok());
      url = proxy.url("/test/sse");
    }
    CAPTURE(url);
    MetricsRegistry m;
    auto rt = runtime(m, certs.cert);
    auto slot = rt->slot(0);
    REQUIRE(slot->preconnect(url).ok());
    REQUIRE(eventually([&] {
      return counter(m, "voxline_net_http_preconnects_total", {{"result", "ok"}}) == 1;
    }));
    CHECK(counter(m, "voxline_net_http_connections_opened_total") == 1);
    auto rec = std::make_shared<SlotHttpRecorder>(slot);
    start(*slot, sse(url), rec);
    REQUIRE(rec->wait_complete());
    const HttpCompletion c = rec->completion();
    CHECK_MESSAGE(c.status.ok(), c.status.to_string());
    CHECK(rec->events().size() == 2);
    CHECK(c.connections_opened == 0);  // no TCP connect, no TLS handshake: the warm one was used
    CHECK(counter(m, "voxline_net_http_connections_opened_total") == 1);
    CHECK(rt->active_http_streams() == 0);
  }
}

TEST_CASE("preconnect failures are counted and logged, never fatal; a bad URL is INVALID_ARGUMENT") {
  MetricsRegistry m;
  auto rt = runtime(m);
  auto slot = rt->slot(0);
  int port;
  {
    SilentListener gone;
    port = gone.port();
  }
  CHECK(slot->preconnect("http://127.0.0.1:" + std::to_string(port) + "/v1").ok());
  CHECK(eventually([&] {
    return counter(m, "voxline_net_http_preconnects_total", {{"result", "failed"}}) == 1;
  }));
  CHECK(slot->preconnect("ftp://example.com/").code() == StatusCode::kInvalidArgument);
  CHECK(slot->preconnect("wss://example.com/").code() == StatusCode::kInvalidArgument);
  CHECK(rt->active_http_streams() == 0);
}

TEST_CASE(
    "every callback of HTTP streams started on one slot runs on that slot's thread, in order, never two at "
    "once") {
  auto sim =
      start_sim(R"({"sse":{"events":[{"data":"1"},{"data":"2","delay_ms":20},{"data":"3","delay_ms":20}]}})");
  MetricsRegistry m;
  auto rt = runtime(m, {}, 2);
  for (int index : {0, 1}) {
    auto slot = rt->slot(index);
    std::vector<std::shared_ptr<SlotHttpRecorder>> recs;
    for (int i = 0; i < 6; ++i) {
      recs.push_back(std::make_shared<SlotHttpRecorder>(slot));
      start(*slot, sse(sim->http_url("/test/sse")), recs.back());
    }
    for (auto &r : recs) {
      REQUIRE(r->wait_complete());
      CHECK(r->completion().status.ok());
      CHECK(r->events().size() == 3);
      CHECK(r->responses() == 1);
      CHECK(r->after_terminal() == 0);
      CHECK(r->contract_kept());
    }
  }
}

TEST_CASE("an HTTP request falls back to the second resolved address when the first refuses the connection") {
  auto sim = start_sim(kShortStream);  // listens on 127.0.0.1 only: 127.0.0.2 refuses the port
  MetricsRegistry m;
  RuntimeOptions o;
  o.metrics = &m;
  std::atomic<int> lookups{0};
  o.dns_lookup = [&lookups](const std::string &host) -> Result<std::vector<std::string>> {
    ++lookups;
    if (host != "llm.fallback.test") return unavailable("unknown host " + host);
    return std::vector<std::string>{"127.0.0.2", "127.0.0.1"};
  };
  auto rt = Runtime::create(o);
  REQUIRE_MESSAGE(rt.ok(), rt.status().to_string());
  auto slot = (*rt)->slot(0);
  auto rec = std::make_shared<SlotHttpRecorder>(slot);
  start(*slot, sse("http://llm.fallback.test:" + std::to_string(sim->port()) + "/test/sse"), rec);
  REQUIRE(rec->wait_complete());
  CHECK_MESSAGE(rec->completion().status.ok(), rec->completion().status.to_string());
  CHECK(rec->events().size() == 2);
  CHECK(lookups.load() == 1);
  // The Host header still names the host, not the address.
  bool host_seen = false;
  for (const auto &r : sim->recorded("sse"))
    for (const auto &h : r.headers)
      host_seen = host_seen || (h.first == "host" && h.second.rfind("llm.fallback.test:", 0) == 0);
  CHECK(host_seen);
}
