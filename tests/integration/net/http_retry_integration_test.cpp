// RetryDriver on a slot's timers against voxline-sim faults (429 with retry-after-ms, 503 then
// success, a drop after the first byte, capped attempts, cancel and shutdown during the wait),
// and secrets in HTTP error bodies never reaching a Status message or a log line.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/net/net_test_support.hpp"
#include "integration/net/slot_http_recorder.hpp"
#include "voxline/core/json.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/retry_driver.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/slot.hpp"
#include "voxline_sim/simulator.hpp"

using namespace voxline;
using namespace voxline::nettest;
using std::chrono::milliseconds;

namespace {

const std::string kEvents =
    R"("sse":{"events":[{"data":"one"},{"data":"two","delay_ms":30},{"data":"[DONE]","delay_ms":30}]})";

std::string scenario(const std::string &faults) {
  return R"({"faults":[)" + faults + "]," + kEvents + "}";
}

std::unique_ptr<Runtime> runtime(MetricsRegistry &m, Logger *logger = nullptr) {
  RuntimeOptions o;
  o.metrics = &m;
  o.logger = logger;
  return start_runtime(o);
}

HttpRequest sse(const sim::Simulator &sim) {
  HttpRequest r;
  r.url = sim.http_url("/test/sse");
  r.body = "{}";
  r.timeouts.connect = std::chrono::seconds(3);
  r.timeouts.first_byte = std::chrono::seconds(3);
  r.timeouts.idle = std::chrono::seconds(3);
  return r;
}

RetryDriverOptions retry(MetricsRegistry &m, int attempts = 3) {
  RetryDriverOptions o;
  o.policy = RetryPolicy({attempts, milliseconds(20), milliseconds(80), std::chrono::seconds(10)}, {}, &m);
  o.max_total_delay = std::chrono::seconds(5);
  return o;
}

std::shared_ptr<HttpStream> start(std::shared_ptr<Slot> slot, HttpRequest r,
                                  std::shared_ptr<HttpStreamHandler> h, RetryDriverOptions o) {
  auto s = RetryDriver::start(std::move(slot), std::move(r), std::move(h), std::move(o));
  REQUIRE_MESSAGE(s.ok(), s.status().to_string());
  return *s;
}

std::vector<sim::RecordedMessage> requests(const sim::Simulator &sim) {
  std::vector<sim::RecordedMessage> out;
  for (auto &r : sim.recorded("sse"))
    if (r.kind == "http_request") out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE(
    "retry driver waits the retry-after-ms of a 429 on the slot's timer, then the second attempt streams") {
  auto sim = start_sim(
      scenario(R"({"endpoint":"sse","type":"status","status":429,"retry_after_ms":300,"first_n":1})"));
  MetricsRegistry m;
  auto rt = runtime(m);
  auto slot = rt->slot(0);
  auto rec = std::make_shared<SlotHttpRecorder>(slot);
  auto s = start(slot, sse(*sim), rec, retry(m));
  REQUIRE(rec->wait_complete());
  const HttpCompletion c = rec->completion();
  CHECK_MESSAGE(c.status.ok(), c.status.to_string());
  CHECK(c.attempts == 2);
  CHECK(c.http_status == 200);
  CHECK(rec->events().size() == 3);
  CHECK(rec->responses() == 1);  // the 429 attempt showed nothing
  CHECK(rec->contract_kept());
  CHECK(eventually([&] { return s->done(); },
                   std::chrono::milliseconds(2000)));  // set once on_complete has returned
  auto reqs = requests(*sim);
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].t_ms - reqs[0].t_ms >= 300);  // the server's delay, not the 20 ms backoff
  CHECK(m.counter("voxline_net_retries_total", "").value() == 1);
}

TEST_CASE("retry driver recovers from a 503 and from a refused connection before the first byte") {
  auto sim = start_sim(scenario(R"({"endpoint":"sse","type":"status","status":503,"first_n":2})"));
  MetricsRegistry m;
  auto rt = runtime(m);
  auto slot = rt->slot(0);
  auto rec = std::make_shared<SlotHttpRecorder>(slot);
  start(slot, sse(*sim), rec, retry(m));
  REQUIRE(rec->wait_complete());
  CHECK_MESSAGE(rec->completion().status.ok(), rec->completion().status.to_string());
  CHECK(rec->completion().attempts == 3);
  CHECK(rec->events().size() == 3);
  CHECK(requests(*sim).size() == 3);
  CHECK(rec->contract_kept());

  // Nothing listens: every attempt fails in connect, all are made, the last failure stands.
  int port;
  {
    SilentListener gone;
    port = gone.port();
  }
  HttpRequest r = sse(*sim);
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/test/sse";
  auto refused = std::make_shared<SlotHttpRecorder>(slot);
  start(slot, r, refused, retry(m));
  REQUIRE(refused->wait_complete());
  CHECK(refused->completion().status.code() == StatusCode::kUnavailable);
  CHECK(refused->completion().phase == "connect");
  CHECK(refused->completion().attempts == 3);
  CHECK(refused->contract_kept());
}

TEST_CASE("retry driver stops at max attempts and reports the last failure with its status and headers") {
  auto sim = start_sim(scenario(R"({"endpoint":"sse","type":"status","status":503,"retry_after_ms":10})"));
  MetricsRegistry m;
  auto rt = runtime(m);
  auto slot = rt->slot(0);
  auto rec = std::make_shared<SlotHttpRecorder>(slot);
  start(slot, sse(*sim), rec, retry(m, 3));
  REQUIRE(rec->wait_complete());
  const HttpCompletion c = rec->completion();
  CHECK(c.status.code() == StatusCode::kUnavailable);
  CHECK(c.http_status == 503);
  CHECK(c.attempts == 3);
  CHECK(find_header(c.headers, "retry-after-ms") == std::string_view("10"));
  CHECK(!c.error_body.empty());
  CHECK(rec->responses() == 1);  // the final attempt's head, just before on_complete
  CHECK(rec->body().empty());
  CHECK(requests(*sim).size() == 3);
  CHECK(rec->contract_kept());
}

TEST_CASE("retry driver never retries once the first byte reached the owner") {
  auto sim = start_sim(scenario(R"({"endpoint":"sse","type":"drop","after_messages":1})"));
  MetricsRegistry m;
  auto rt = runtime(m);
  auto slot = rt->slot(0);
  auto rec = std::make_shared<SlotHttpRecorder>(slot);
  start(slot, sse(*sim), rec, retry(m, 5));
  REQUIRE(rec->wait_complete());
  const HttpCompletion c = rec->completion();
  CHECK(c.status.code() == StatusCode::kUnavailable);
  CHECK(c.first_byte_delivered);
  CHECK(c.attempts == 1);
  CHECK(rec->events().size() == 1);
  std::this_thread::sleep_for(milliseconds(200));  // longer than any backoff: no second request
  CHECK(requests(*sim).size() == 1);
  CHECK(m.counter("voxline_net_retries_total", "").value() == 0);
}

TEST_CASE(
    "retry driver cancelled from another thread while waiting ends at once with CANCELLED and no new "
    "attempt") {
  auto sim = start_sim(scenario(R"({"endpoint":"sse","type":"status","status":429,"retry_after_ms":1000})"));
  MetricsRegistry m;
  auto rt = runtime(m);
  auto slot = rt->slot(0);
  auto rec = std::make_shared<SlotHttpRecorder>(slot);
  auto s = start(slot, sse(*sim), rec, retry(m));
  // Wait until the 429 has been answered (the driver is then waiting 1 s).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (sim->recorded("sse").size() < 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(milliseconds(5));
  std::this_thread::sleep_for(milliseconds(50));
  const auto t0 = std::chrono::steady_clock::now();
  std::thread([s] {
    s->cancel();
    s->cancel();
  }).join();
  REQUIRE(rec->wait_complete(std::chrono::milliseconds(500)));
  CHECK(rec->completed_at() - t0 < milliseconds(300));
  CHECK(rec->completion().status.code() == StatusCode::kCancelled);
  CHECK(rec->completion().attempts == 1);
  std::this_thread::sleep_for(milliseconds(1200));  // past the server's delay
  CHECK(requests(*sim).size() == 1);
  CHECK(rec->completions() == 1);
  CHECK(rec->contract_kept());
}

TEST_CASE("runtime shutdown during a retry wait or an attempt ends the request with one CANCELLED") {
  auto sim = start_sim(scenario(
      R"({"endpoint":"sse","type":"status","status":503,"retry_after_ms":3000})"));  // within max_total_delay
  MetricsRegistry m;
  auto rt = runtime(m);
  auto slot = rt->slot(0);
  auto waiting = std::make_shared<SlotHttpRecorder>(slot);
  start(slot, sse(*sim), waiting, retry(m));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (sim->recorded("sse").size() < 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(milliseconds(5));
  REQUIRE(sim->load_scenario(R"({"sse":{"events":[{"data":"a"},{"data":"b","delay_ms":5000}]}})").ok());
  auto streaming = std::make_shared<SlotHttpRecorder>(slot);
  start(slot, sse(*sim), streaming, retry(m));
  REQUIRE(streaming->wait_events(1));
  rt.reset();
  for (auto &rec : {waiting, streaming}) {
    CHECK(rec->completions() == 1);
    CHECK(rec->completion().status.code() == StatusCode::kCancelled);
    CHECK(rec->contract_kept());
  }
}

TEST_CASE("a secret inside an HTTP error body never reaches a Status message, the error body or a log line") {
  const std::string key = "vx-live-7d1f0c9a2b4e8f63";
  // An OpenAI-style 401 that echoes the key back, and the same in a 503 that gets retried (the
  // driver logs each failed attempt).
  const std::string body =
      R"({"error":{"message":"Incorrect API key provided: )" + key +
      R"(. You can find your API key at https://platform.openai.com.","code":"invalid_api_key"}})";
  auto sim = start_sim();
  CapturingLogger log;
  REQUIRE(log.logger.redactor().add_secret(key).ok());
  MetricsRegistry m;
  auto rt = runtime(m, &log.logger);
  auto slot = rt->slot(0);
  for (int status : {401, 503}) {
    CAPTURE(status);
    std::string fault =
        R"({"endpoint":"sse","type":"status","status":)" + std::to_string(status) + R"(,"body":)";
    fault += json::quote(body) + "}";
    REQUIRE(sim->load_scenario(R"({"faults":[)" + fault + "]}").ok());
    auto rec = std::make_shared<SlotHttpRecorder>(slot);
    RetryDriverOptions o = retry(m, 2);
    o.logger = &log.logger;
    start(slot, sse(*sim), rec, o);
    REQUIRE(rec->wait_complete());
    const HttpCompletion c = rec->completion();
    CHECK(c.http_status == status);
    CHECK(c.status.message().find("Incorrect API key provided: ***") != std::string::npos);
    CHECK(c.status.message().find(key) == std::string::npos);
    CHECK(c.error_body.find("***") != std::string::npos);
    CHECK(c.error_body.find(key) == std::string::npos);
  }
  // The 503 was retried once, and that failure was logged (redacted).
  const auto lines = log.lines();
  bool logged_failure = false;
  for (const auto &line : lines) {
    CHECK(line.find(key) == std::string::npos);
    logged_failure = logged_failure || line.find("Incorrect API key provided: ***") != std::string::npos;
  }
  CHECK(logged_failure);
}
