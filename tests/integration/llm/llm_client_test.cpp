// LlmClient against voxline-sim: streaming deltas on the caller's slot, tool calls assembled from
// fragments (UTF-8 and escapes split anywhere, parallel calls, servers without indices or with
// whole calls), the one-shot form, retries (429 with retry-after, 500s, 409) only before the first
// byte, errors that fail at once, timeouts, malformed and truncated streams, cancellation (with
// the HTTP/2 connection kept, through nghttpx), and the metrics a request leaves behind.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/net/net_test_support.hpp"
#include "support/nghttpx_proxy.hpp"
#include "support/temp_dir.hpp"
#include "voxline/core/json.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/llm/conversation.hpp"
#include "voxline/llm/llm_client.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/slot.hpp"
#include "voxline_sim/simulator.hpp"

using namespace voxline;
using namespace voxline::nettest;
using namespace std::chrono_literals;

namespace {

// Records every callback: the thread it ran on, the deltas, the one result.
class LlmRecorder final : public LlmStreamHandler {
 public:
  // cancel_after_deltas > 0: the handler cancels its own stream after that many deltas.
  explicit LlmRecorder(size_t cancel_after_deltas = 0) : cancel_after_(cancel_after_deltas) {}

  void on_delta(LlmStream &stream, const ChatStreamDelta &d, const ChatCompletion &) override {
    std::lock_guard<std::mutex> lock(mu_);
    threads_.insert(std::this_thread::get_id());
    ++deltas_;
    content_ += d.content;
    if (completed_) ++after_complete_;
    if (cancel_after_ > 0 && deltas_ == cancel_after_) stream.cancel();
  }
  void on_complete(LlmStream &, LlmResult &r) override {
    std::lock_guard<std::mutex> lock(mu_);
    threads_.insert(std::this_thread::get_id());
    ++completions_;
    completed_ = true;
    result_ = std::move(r);
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds d = 10s) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, d, [&] { return completed_; });
  }
  LlmResult result() {
    std::lock_guard<std::mutex> lock(mu_);
    return result_;
  }
  std::string content() {
    std::lock_guard<std::mutex> lock(mu_);
    return content_;
  }
  size_t deltas() {
    std::lock_guard<std::mutex> lock(mu_);
    return deltas_;
  }
  std::set<std::thread::id> threads() {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_;
  }
  int completions() {
    std::lock_guard<std::mutex> lock(mu_);
    return completions_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const size_t cancel_after_;
  std::set<std::thread::id> threads_;
  size_t deltas_ = 0, after_complete_ = 0;
  int completions_ = 0;
  bool completed_ = false;
  std::string content_;
  LlmResult result_;
};

LlmClientOptions options_for(const std::string &base_url) {
  LlmClientOptions o;
  o.endpoint.base_url = base_url;
  o.endpoint.model = "gpt-4o";
  o.endpoint.api_key = "test-key";  // voxline-sim's default key
  o.retry.base_delay = 20ms;
  o.retry.max_delay = 100ms;
  o.connect_timeout = 5s;
  o.first_byte_timeout = 5s;
  o.idle_timeout = 5s;
  return o;
}

std::unique_ptr<LlmClient> client(const sim::Simulator &sim, MetricsRegistry &m,
                                  LlmClientOptions o = LlmClientOptions{}) {
  if (o.endpoint.base_url.empty()) o = options_for("http://127.0.0.1:" + std::to_string(sim.port()) + "/v1");
  auto c = make_openai_client(std::move(o), &m);
  REQUIRE_MESSAGE(c.ok(), c.status().to_string());
  return std::move(*c);
}

ChatRequest ask(const std::string &text) {
  ChatRequest r;
  r.messages = {ChatMessage::system("You are a service desk."), ChatMessage::user(text)};
  return r;
}

ChatRequest with_tool(const std::string &text) {
  ChatRequest r = ask(text);
  r.tools.push_back(ToolDefinition{"book_appointment",
                                   "Books a slot",
                                   R"({"type":"object","properties":{"note":{"type":"string"}}})",
                                   {}});
  return r;
}

// Runs one streaming request to its end and returns the recorder.
std::shared_ptr<LlmRecorder> run(LlmClient &llm, const std::shared_ptr<Slot> &slot, const ChatRequest &req,
                                 bool streaming = true, LlmCallOptions call = {}) {
  auto rec = std::make_shared<LlmRecorder>();
  auto s = streaming ? llm.stream(slot, req, rec, call) : llm.complete(slot, req, rec, call);
  REQUIRE_MESSAGE(s.ok(), s.status().to_string());
  REQUIRE(rec->wait());
  return rec;
}

uint64_t counter(MetricsRegistry &m, const char *name, const MetricLabels &labels = {}) {
  return m.counter(name, "", labels).value();
}

std::thread::id slot_thread(Slot &slot) {
  std::promise<std::thread::id> p;
  auto f = p.get_future();
  REQUIRE(slot.post([&p] { p.set_value(std::this_thread::get_id()); }).ok());
  return f.get();
}

}  // namespace

TEST_CASE("a streamed answer arrives as deltas on the caller's slot, then OK with usage and a request id") {
  auto sim = start_sim(R"({"llm":{"default_reply":{"content":"Friday at nine works for the oil change."},
                              "tokens_per_second":200}})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto slot = rt->pick_slot();
  auto llm = client(*sim, m);
  LlmCallOptions call;
  call.predicted_prompt_tokens = 20;
  auto rec = run(*llm, slot, ask("Can I come Friday?"), true, call);
  LlmResult r = rec->result();
  REQUIRE_MESSAGE(r.status.ok(), r.status.to_string());
  CHECK_FALSE(r.cancelled);
  CHECK(rec->content() == "Friday at nine works for the oil change.");
  CHECK(r.completion.content == rec->content());
  CHECK(rec->deltas() >= 8);  // role, one per word, finish, usage
  CHECK(r.completion.finish_reason == FinishReason::kStop);
  REQUIRE(r.completion.usage.has_value());
  CHECK(r.completion.usage->completion_tokens > 0);
  CHECK(r.request_id.rfind("req_sim", 0) == 0);
  CHECK(r.attempts == 1);
  CHECK(r.http_status == 200);
  CHECK(r.time_to_first_token >= Duration::zero());
  CHECK(rec->threads() == std::set<std::thread::id>{slot_thread(*slot)});
  CHECK(rec->completions() == 1);
  // The request as the server saw it: streamed with usage, our model, the Bearer key.
  auto seen = sim->recorded();
  bool found = false;
  for (const auto &msg : seen) {
    if (msg.kind != "http_request") continue;
    found = true;
    auto parsed = json::parse(msg.payload);
    REQUIRE(parsed.ok());
    json::Document &d = *parsed;
    CHECK(d["stream"].GetBool());
    CHECK(d["stream_options"]["include_usage"].GetBool());
    CHECK(std::string(d["model"].GetString()) == "gpt-4o");
  }
  CHECK(found);
  CHECK(counter(m, "voxline_llm_requests_total") == 1);
  CHECK(counter(m, "voxline_llm_tokens_total", {{"kind", "completion"}}) ==
        static_cast<uint64_t>(r.completion.usage->completion_tokens));
  CHECK(m.histogram("voxline_llm_token_count_error_pct", "").snapshot().count == 1);
  CHECK(m.histogram("voxline_llm_time_to_first_token_ms", "").snapshot().count == 1);
}

TEST_CASE("tool-call arguments split over many fragments, inside UTF-8 and escapes, assemble exactly") {
  const std::string args =
      R"({"note":"Müller said \"brakes\" \\ squeal — 5 € \u00e9","slot":"2026-12-11T09:00"})";
  auto sim = start_sim(R"({"llm":{"argument_fragment_chars":2,"split_event_bytes":7,
      "default_reply":{"tool_calls":[{"name":"book_appointment","arguments":)" +
                       args + R"(}]}}})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto llm = client(*sim, m);
  auto rec = run(*llm, rt->pick_slot(), with_tool("Book me in"));
  LlmResult r = rec->result();
  REQUIRE_MESSAGE(r.status.ok(), r.status.to_string());
  CHECK(r.completion.finish_reason == FinishReason::kToolCalls);
  REQUIRE(r.completion.tool_calls.size() == 1);
  const ReceivedToolCall &call = r.completion.tool_calls[0];
  CHECK(call.name == "book_appointment");
  CHECK(call.arguments_error.empty());
  auto got = json::parse(call.arguments), want = json::parse(args);
  REQUIRE(got.ok());
  REQUIRE(want.ok());
  CHECK(*got == *want);
  CHECK(rec->deltas() > 20);  // it really came in pieces
}

TEST_CASE(
    "two parallel tool calls, and servers that omit the index or send whole calls, give the same calls") {
  const char *calls =
      R"([{"name":"find_customer","arguments":{"phone":"+15551234567"}},{"name":"lookup_vehicle","arguments":{"vin":"1HGCM82633A004352"}}])";
  for (const char *style : {"", R"("omit_tool_call_index":true,)", R"("whole_tool_calls":true,)",
                            R"("reuse_tool_call_index":true,)"}) {
    CAPTURE(style);
    auto sim =
        start_sim(std::string(R"({"llm":{)") + style + R"("default_reply":{"tool_calls":)" + calls + "}}}");
    MetricsRegistry m;
    auto rt = start_runtime(m);
    auto llm = client(*sim, m);
    ChatRequest req = with_tool("Who am I and what car?");
    req.tools.push_back(ToolDefinition{"find_customer", "", "", {}});
    req.tools.push_back(ToolDefinition{"lookup_vehicle", "", "", {}});
    auto rec = run(*llm, rt->pick_slot(), req);
    LlmResult r = rec->result();
    REQUIRE_MESSAGE(r.status.ok(), r.status.to_string());
    REQUIRE(r.completion.tool_calls.size() == 2);
    CHECK(r.completion.tool_calls[0].name == "find_customer");
    CHECK(r.completion.tool_calls[1].name == "lookup_vehicle");
    CHECK(r.completion.tool_calls[0].id != r.completion.tool_calls[1].id);
    auto a = json::parse(r.completion.tool_calls[1].arguments);
    REQUIRE(a.ok());
    CHECK(std::string((*a)["vin"].GetString()) == "1HGCM82633A004352");
  }
}

TEST_CASE("the one-shot form gets the whole answer in one body, with on_complete only") {
  auto sim = start_sim(R"({"llm":{"default_reply":{"content":"Your car is ready."}}})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto llm = client(*sim, m);
  auto rec = run(*llm, rt->pick_slot(), ask("Is my car ready?"), /*streaming=*/false);
  LlmResult r = rec->result();
  REQUIRE_MESSAGE(r.status.ok(), r.status.to_string());
  CHECK(r.completion.content == "Your car is ready.");
  CHECK(rec->deltas() == 0);
  REQUIRE(r.completion.usage.has_value());
  bool streamed = true;
  for (const auto &msg : sim->recorded())
    if (msg.kind == "http_request") streamed = msg.payload.find("\"stream\":true") != std::string::npos;
  CHECK_FALSE(streamed);
}

TEST_CASE("429 with retry-after-ms is retried after the server's delay, then succeeds") {
  auto sim = start_sim(R"({"llm":{"default_reply":{"content":"ok"}},
      "faults":[{"endpoint":"llm","type":"status","status":429,"retry_after_ms":300,"first_n":1}]})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto llm = client(*sim, m);
  const auto t0 = std::chrono::steady_clock::now();
  auto rec = run(*llm, rt->pick_slot(), ask("hi"));
  const auto waited = std::chrono::steady_clock::now() - t0;
  LlmResult r = rec->result();
  REQUIRE_MESSAGE(r.status.ok(), r.status.to_string());
  CHECK(r.attempts == 2);
  CHECK(waited >= 300ms);
  CHECK(waited < 3s);
  CHECK(rec->content() == "ok");
  CHECK(counter(m, "voxline_llm_retries_total") == 1);
}

TEST_CASE("500 three times ends in a clear UNAVAILABLE with the server's error and request id") {
  auto sim = start_sim(R"({"faults":[{"endpoint":"llm","type":"status","status":500,"first_n":3}]})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  LlmClientOptions o = options_for("http://127.0.0.1:" + std::to_string(sim->port()) + "/v1");
  o.retry.max_attempts = 3;
  auto llm = client(*sim, m, o);
  auto rec = run(*llm, rt->pick_slot(), ask("hi"));
  LlmResult r = rec->result();
  CHECK(r.status.code() == StatusCode::kUnavailable);
  CHECK(r.attempts == 3);
  CHECK(r.http_status == 500);
  const LlmApiError *e = r.status.detail_as<LlmApiError>();
  REQUIRE(e != nullptr);
  CHECK(e->http_status == 500);
  CHECK(e->type == "server_error");
  CHECK(e->request_id.rfind("req_sim", 0) == 0);
  CHECK(r.status.message().find("500") != std::string::npos);
  CHECK(counter(m, "voxline_llm_errors_total", {{"code", status_code_name(StatusCode::kUnavailable)}}) == 1);
}

TEST_CASE("409 is retried like OpenAI's SDKs do; 400 and 401 fail at once with the server's message") {
  {
    auto sim = start_sim(R"({"llm":{"default_reply":{"content":"ok"}},
        "faults":[{"endpoint":"llm","type":"status","status":409,"first_n":1}]})");
    MetricsRegistry m;
    auto rt = start_runtime(m);
    auto llm = client(*sim, m);
    LlmResult r = run(*llm, rt->pick_slot(), ask("hi"))->result();
    CHECK_MESSAGE(r.status.ok(), r.status.to_string());
    CHECK(r.attempts == 2);
  }
  {
    auto sim = start_sim(R"({"faults":[{"endpoint":"llm","type":"status","status":400}]})");
    MetricsRegistry m;
    auto rt = start_runtime(m);
    auto llm = client(*sim, m);
    LlmResult r = run(*llm, rt->pick_slot(), ask("hi"))->result();
    CHECK(r.status.code() == StatusCode::kInvalidArgument);
    CHECK(r.attempts == 1);
    CHECK(r.http_status == 400);
  }
  {
    auto sim = start_sim(R"({"faults":[{"endpoint":"llm","type":"status","status":401}]})");
    MetricsRegistry m;
    auto rt = start_runtime(m);
    auto llm = client(*sim, m);
    LlmResult r = run(*llm, rt->pick_slot(), ask("hi"))->result();
    CHECK(r.status.code() == StatusCode::kUnauthenticated);
    CHECK(r.attempts == 1);
    REQUIRE(r.status.detail_as<LlmApiError>() != nullptr);
    CHECK(r.status.detail_as<LlmApiError>()->code == "invalid_api_key");
    CHECK(r.status.message().find("test-key") == std::string::npos);  // masked if echoed
  }
}

TEST_CASE("a stall past the idle deadline is a TIMEOUT, never retried once deltas reached the caller") {
  auto sim = start_sim(R"({"llm":{"default_reply":{"content":"one two three four five"}},
      "faults":[{"endpoint":"llm","type":"stall","after_messages":2,"stall_ms":3000}]})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  LlmClientOptions o = options_for("http://127.0.0.1:" + std::to_string(sim->port()) + "/v1");
  o.idle_timeout = 300ms;
  auto llm = client(*sim, m, o);
  const auto t0 = std::chrono::steady_clock::now();
  auto rec = run(*llm, rt->pick_slot(), ask("hi"));
  LlmResult r = rec->result();
  CHECK(r.status.code() == StatusCode::kTimeout);
  CHECK(r.attempts == 1);
  CHECK(std::chrono::steady_clock::now() - t0 < 2500ms);
  CHECK_FALSE(r.completion.content.empty());  // what the caller saw before the stall
}

TEST_CASE("malformed JSON, a truncated stream and an error event are failures, never a normal end") {
  struct Case {
    const char *fault;
    StatusCode code;
    const char *says;
  };
  const Case cases[] = {
      {R"({"endpoint":"llm","type":"malformed_json","after_messages":2})", StatusCode::kProtocolError, ""},
      {R"({"endpoint":"llm","type":"truncated_event","after_messages":3})", StatusCode::kProtocolError,
       "truncated"},
      {R"({"endpoint":"llm","type":"drop","after_messages":3})", StatusCode::kUnavailable, ""},
      {R"({"endpoint":"llm","type":"error_event","after_messages":2})", StatusCode::kUnavailable,
       "server_error"},
  };
  for (const Case &c : cases) {
    CAPTURE(c.fault);
    auto sim = start_sim(std::string(R"({"llm":{"default_reply":{"content":"one two three four five six"}},
        "faults":[)") + c.fault +
                         "]}");
    MetricsRegistry m;
    auto rt = start_runtime(m);
    auto llm = client(*sim, m);
    LlmResult r = run(*llm, rt->pick_slot(), ask("hi"))->result();
    CHECK_MESSAGE(r.status.code() == c.code, r.status.to_string());
    CHECK_MESSAGE(r.status.message().find(c.says) != std::string::npos, r.status.to_string());
    CHECK(r.attempts == 1);
  }
}

TEST_CASE("cancel mid-stream ends it at once as CANCELLED, told apart from errors, with nothing after it") {
  auto sim = start_sim(R"({"llm":{"default_reply":{"content":"a b c d e f g h i j k l m n o p"},
                              "tokens_per_second":20}})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto llm = client(*sim, m);
  auto rec = std::make_shared<LlmRecorder>(/*cancel_after_deltas=*/3);
  auto s = llm->stream(rt->pick_slot(), ask("hi"), rec);
  REQUIRE(s.ok());
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(rec->wait());
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);  // 16 words at 20/s would take 800 ms more
  LlmResult r = rec->result();
  CHECK(r.cancelled);
  CHECK(r.status.code() == StatusCode::kCancelled);
  CHECK(rec->deltas() == 3);
  CHECK((*s)->done());
  CHECK(counter(m, "voxline_llm_cancelled_total") == 1);
  CHECK(counter(m, "voxline_llm_errors_total", {{"code", status_code_name(StatusCode::kCancelled)}}) == 0);
  // From another thread, before anything arrived: CANCELLED too.
  auto rec2 = std::make_shared<LlmRecorder>();
  auto s2 = llm->stream(rt->pick_slot(), ask("hi"), rec2);
  REQUIRE(s2.ok());
  (*s2)->cancel();
  REQUIRE(rec2->wait());
  CHECK(rec2->result().cancelled);
}

TEST_CASE("over HTTP/2 a cancelled turn keeps the connection: prewarm, cancel, next turn on the same one") {
  if (!testing::nghttpx_tests_can_run()) return;
  testing::TempDir dir{"voxline-llm-h2"};
  const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  REQUIRE(sim::write_test_certificate(cert, key).ok());
  auto sim = start_sim(R"({"llm":{"default_reply":{"content":"a b c d e f g h i j k l m n o p"},
                              "tokens_per_second":20}})");
  testing::NghttpxProxy proxy;
  REQUIRE(proxy.start(sim->port(), cert, key).ok());
  MetricsRegistry m;
  RuntimeOptions ro;
  ro.metrics = &m;
  ro.tls.ca_file = cert;
  ro.http_client = HttpClient::kCurl;  // HTTP/2 is curl's
  auto rt = start_runtime(ro);
  auto slot = rt->slot(0);
  auto llm = client(*sim, m, options_for(proxy.url("/v1")));
  REQUIRE(llm->prewarm(*slot).ok());
  std::this_thread::sleep_for(300ms);  // the TLS handshake of the prewarmed connection
  auto rec = std::make_shared<LlmRecorder>(/*cancel_after_deltas=*/2);
  REQUIRE(llm->stream(slot, ask("hi"), rec).ok());
  REQUIRE(rec->wait());
  CHECK(rec->result().cancelled);
  CHECK(rec->result().http_version == 20);
  CHECK(rec->result().connections_opened == 0);  // the prewarmed one
  auto next = run(*llm, slot, ask("again"));
  CHECK_MESSAGE(next->result().status.ok(), next->result().status.to_string());
  CHECK(next->result().http_version == 20);
  CHECK(next->result().connections_opened == 0);
  CHECK(proxy.client_connections() == 1);  // prewarmed, survived the cancel, reused
}

TEST_CASE("token accuracy: the cookbook example and a Conversation's prediction match the sim's usage") {
  auto sim = start_sim(R"({"llm":{"default_reply":{"content":"Let's talk later."}}})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto llm = client(*sim, m);
  // The cookbook's six-message example: 124 prompt tokens on gpt-4o, as the API reported it.
  auto named = [](ChatMessage msg, const char *name) {
    msg.name = name;
    return msg;
  };
  ChatRequest jargon;
  jargon.messages = {
      ChatMessage::system(
          "You are a helpful, pattern-following assistant that translates corporate jargon into "
          "plain English."),
      named(ChatMessage::system("New synergies will help drive top-line growth."), "example_user"),
      named(ChatMessage::system("Things working well together will increase revenue."), "example_assistant"),
      named(ChatMessage::system(
                "Let's circle back when we have more bandwidth to touch base on opportunities for "
                "increased leverage."),
            "example_user"),
      named(ChatMessage::system("Let's talk later when we're less busy about how to do better."),
            "example_assistant"),
      ChatMessage::user(
          "This late pivot means we don't have time to boil the ocean for the client deliverable."),
  };
  LlmCallOptions call;
  call.predicted_prompt_tokens = 124;
  LlmResult r = run(*llm, rt->pick_slot(), jargon, true, call)->result();
  REQUIRE_MESSAGE(r.status.ok(), r.status.to_string());
  REQUIRE(r.completion.usage.has_value());
  CHECK(r.completion.usage->prompt_tokens == 124);

  // A call's history through Conversation: its prediction is what the server counts.
  ConversationOptions co;
  auto conv = Conversation::create(co);
  REQUIRE(conv.ok());
  (*conv)->set_system_prompt("You are the service desk of Riverside Auto.");
  (*conv)->set_fact("caller", "Dana Whitfield");
  REQUIRE((*conv)
              ->set_tools({ToolDefinition{"book_appointment",
                                          "Books a slot",
                                          R"({"type":"object","properties":{"slot":{"type":"string"}}})",
                                          {}}})
              .ok());
  REQUIRE((*conv)->add_user("Book me for Friday at nine").ok());
  REQUIRE(
      (*conv)->add_assistant_tool_calls({{"call_1", "book_appointment", R"({"slot":"fri-09:00"})"}}).ok());
  REQUIRE((*conv)->add_tool_result("call_1", R"({"booked":true})").ok());
  REQUIRE((*conv)->add_assistant("You're booked.").ok());
  REQUIRE((*conv)->add_user("Thanks!").ok());
  ChatRequest req;
  auto b = (*conv)->build_request(req);
  REQUIRE(b.ok());
  call.predicted_prompt_tokens = b->prompt_tokens;
  LlmResult r2 = run(*llm, rt->pick_slot(), req, true, call)->result();
  REQUIRE_MESSAGE(r2.status.ok(), r2.status.to_string());
  REQUIRE(r2.completion.usage.has_value());
  CHECK(r2.completion.usage->prompt_tokens == b->prompt_tokens);
  const Histogram::Snapshot err = m.histogram("voxline_llm_token_count_error_pct", "").snapshot();
  CHECK(err.count == 2);
  CHECK(err.sum == 0.0);  // both predictions exact
}

TEST_CASE("a stream outlives the client that started it and still ends once, with its metrics") {
  auto sim = start_sim(R"({"llm":{"default_reply":{"content":"a b c d e f g h"},"tokens_per_second":40}})");
  MetricsRegistry m;
  auto rt = start_runtime(m);
  auto llm = client(*sim, m);
  auto rec = std::make_shared<LlmRecorder>();
  REQUIRE(llm->stream(rt->pick_slot(), ask("hi"), rec).ok());
  llm.reset();  // mid-stream
  REQUIRE(rec->wait());
  CHECK_MESSAGE(rec->result().status.ok(), rec->result().status.to_string());
  CHECK(rec->content() == "a b c d e f g h");
  CHECK(rec->completions() == 1);
  CHECK(m.histogram("voxline_llm_time_to_first_token_ms", "").snapshot().count == 1);
}
