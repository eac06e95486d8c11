// Faults on demand: HTTP statuses with retry headers, dropped/stalled/malformed/broken streams,
// tool loops, websocket handshake refusals, close codes, drops, stalls and missing Flushed.
#include <curl/curl.h>

#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "integration/sim/http_test_client.hpp"
#include "integration/sim/raw_ws_client.hpp"
#include "integration/sim/sim_test_util.hpp"

namespace voxline::simtest {
namespace {

const char *kChat = R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]})";
const char *kFiveTokens = R"("llm":{"default_reply":{"content":"a b c d e"}})";

WsConnectOptions dg_auth() {
  WsConnectOptions o;
  o.headers["Authorization"] = "Token test-key";
  return o;
}

HttpResult chat(const sim::Simulator &s, const char *body = kChat) {
  return http_post(s.http_url("/v1/chat/completions"), body, openai_headers());
}

}  // namespace

TEST_CASE("llm 429 fault sends retry-after and retry-after-ms for the first request only") {
  auto sim = start_sim(
      R"({"faults":[{"endpoint":"llm","type":"status","status":429,"retry_after":1,"retry_after_ms":1500,"should_retry":true,"first_n":1}]})");
  HttpResult r = chat(*sim);
  CHECK(r.status == 429);
  CHECK(r.headers["retry-after"] == "1");
  CHECK(r.headers["retry-after-ms"] == "1500");
  CHECK(r.headers["x-should-retry"] == "true");
  json::Document d = parse_json(r.body);
  CHECK(str(d["error"]["code"]) == "rate_limit_exceeded");
  CHECK(chat(*sim).status == 200);
  // Loading a scenario restarts the first_n count.
  REQUIRE(
      sim->load_scenario(R"({"faults":[{"endpoint":"llm","type":"status","status":429,"first_n":1}]})").ok());
  CHECK(chat(*sim).status == 429);
}

TEST_CASE("llm 401, 500 and 503 faults carry OpenAI-shaped error bodies") {
  for (int status : {401, 500, 503}) {
    CAPTURE(status);
    auto sim = start_sim(R"({"faults":[{"endpoint":"llm","type":"status","status":)" +
                         std::to_string(status) + "}]}");
    HttpResult r = chat(*sim);
    CHECK(r.status == status);
    json::Document d = parse_json(r.body);
    REQUIRE(d.HasMember("error"));
    CHECK(d["error"]["message"].IsString());
    CHECK(d["error"]["type"].IsString());
    CHECK(d["error"].HasMember("param"));
    CHECK(d["error"].HasMember("code"));
  }
  auto custom =
      start_sim(R"({"faults":[{"endpoint":"sse","type":"status","status":502,"body":"upstream down"}]})");
  HttpResult r = http_post(custom->http_url("/test/sse"), "");
  CHECK(r.status == 502);
  CHECK(r.body == "upstream down");
}

TEST_CASE("llm drop fault cuts the stream mid-way without the final chunk") {
  auto sim = start_sim(std::string("{") + kFiveTokens +
                       R"(,"faults":[{"endpoint":"llm","type":"drop","after_messages":3}]})");
  HttpResult r = chat(*sim);
  CHECK(r.status == 200);
  CHECK(r.curl_code == CURLE_PARTIAL_FILE);
  auto events = sse_data(r.body);
  CHECK(events.size() == 3);
  bool dropped = false;
  for (const auto &m : sim->recorded("llm")) dropped = dropped || m.kind == "drop";
  CHECK(dropped);

  SUBCASE("a non-streaming response is cut inside its content-length body") {
    HttpResult n = chat(*sim, R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})");
    CHECK(n.status == 200);
    CHECK(n.curl_code == CURLE_PARTIAL_FILE);
  }
  SUBCASE("after_ms cuts the stream at a time") {
    REQUIRE(
        sim->load_scenario(
               R"({"llm":{"tokens_per_second":20,"default_reply":{"content":"a b c d e f g h"}},"faults":[{"endpoint":"llm","type":"drop","after_ms":150}]})")
            .ok());
    HttpResult t = chat(*sim);
    CHECK(t.curl_code == CURLE_PARTIAL_FILE);
    CHECK(sse_data(t.body).size() < 6);
    CHECK(t.total_ms >= 100);
  }
}

TEST_CASE("llm stall fault pauses the stream and then completes it") {
  auto sim = start_sim(std::string("{") + kFiveTokens +
                       R"(,"faults":[{"endpoint":"llm","type":"stall","after_messages":2,"stall_ms":300}]})");
  HttpResult r = chat(*sim);
  REQUIRE(r.curl_code == 0);
  CHECK(sse_data(r.body).back() == "[DONE]");
  int64_t max_gap = 0;
  for (size_t i = 1; i < r.chunks.size(); ++i)
    max_gap = std::max(max_gap, r.chunks[i].t_ms - r.chunks[i - 1].t_ms);
  CHECK(max_gap >= 250);
}

TEST_CASE("llm malformed_json, garbage_line, truncated_event and error_event break the stream as scripted") {
  SUBCASE("malformed_json") {
    auto sim = start_sim(R"({"faults":[{"endpoint":"llm","type":"malformed_json","after_messages":1}]})");
    auto events = sse_data(chat(*sim).body);
    REQUIRE(events.size() >= 3);
    CHECK_FALSE(json::parse(events[1]).ok());
    CHECK(events.back() == "[DONE]");
  }
  SUBCASE("garbage_line") {
    auto sim = start_sim(R"({"faults":[{"endpoint":"llm","type":"garbage_line","after_messages":2}]})");
    HttpResult r = chat(*sim);
    CHECK(r.body.find("\n<html><body>502 Bad Gateway</body></html>\n") != std::string::npos);
    CHECK(sse_data(r.body).back() == "[DONE]");
  }
  SUBCASE("truncated_event") {
    auto sim = start_sim(R"({"faults":[{"endpoint":"llm","type":"truncated_event","after_messages":2}]})");
    HttpResult r = chat(*sim);
    CHECK(r.curl_code == 0);  // the body ends cleanly...
    CHECK(sse_data(r.body).size() == 2);
    CHECK(r.body.find("[DONE]") == std::string::npos);  // ...but without [DONE]
    CHECK(r.body.substr(r.body.size() - 2) != "\n\n");
  }
  SUBCASE("error_event") {
    auto sim = start_sim(R"({"faults":[{"endpoint":"llm","type":"error_event","after_messages":2}]})");
    auto events = sse_data(chat(*sim).body);
    REQUIRE(events.size() == 3);
    CHECK(str(parse_json(events[2])["error"]["type"]) == "server_error");
  }
}

TEST_CASE("llm tool_loop fault asks for a tool call even after the tool result came back") {
  auto sim = start_sim(R"({"faults":[{"endpoint":"llm","type":"tool_loop"}]})");
  const char *with_result = R"({"model":"gpt-4o","stream":true,
      "tools":[{"type":"function","function":{"name":"lookup_slot","parameters":{"type":"object"}}}],
      "messages":[{"role":"user","content":"hi"},
        {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup_slot","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"c1","content":"{\"slot\":\"9:00\"}"}]})";
  for (int i = 0; i < 3; ++i) {
    auto events = sse_data(chat(*sim, with_result).body);
    REQUIRE(events.size() >= 3);
    json::Document first = parse_json(events[0]);
    CHECK(str(first["choices"][0]["delta"]["tool_calls"][0]["function"]["name"]) == "lookup_slot");
    CHECK(str(parse_json(events[events.size() - 2])["choices"][0]["finish_reason"]) == "tool_calls");
  }
}

TEST_CASE("sse drop after_ms cuts a paced generic stream") {
  auto sim =
      start_sim(R"({"sse":{"events":[{"data":"1"},{"data":"2","delay_ms":100},{"data":"3","delay_ms":400}]},
      "faults":[{"endpoint":"sse","type":"drop","after_ms":250}]})");
  HttpResult r = http_post(sim->http_url("/test/sse"), "");
  CHECK(r.curl_code == CURLE_PARTIAL_FILE);
  CHECK(sse_data(r.body) == std::vector<std::string>{"1", "2"});
}

TEST_CASE("websocket handshake faults refuse with the scripted HTTP status and body") {
  auto sim = start_sim(R"({"faults":[
      {"endpoint":"stt","type":"status","status":429,"retry_after":"2","first_n":1},
      {"endpoint":"tts","type":"status","status":403,"body":"{\"err_code\":\"INSUFFICIENT_PERMISSIONS\"}"},
      {"endpoint":"echo","type":"status","status":401}]})");
  RawWsClient stt;
  CHECK_FALSE(stt.connect(sim->port(), "/v1/listen?encoding=mulaw&sample_rate=8000", dg_auth()));
  CHECK(stt.status() == 429);
  CHECK(stt.response_header("retry-after") == "2");
  CHECK(stt.response_body().find("TOO_MANY_REQUESTS") != std::string::npos);
  RawWsClient stt2;  // first_n = 1: the second attempt gets through
  CHECK(stt2.connect(sim->port(), "/v1/listen?encoding=mulaw&sample_rate=8000", dg_auth()));
  RawWsClient tts;
  CHECK_FALSE(tts.connect(sim->port(), "/v1/speak", dg_auth()));
  CHECK(tts.status() == 403);
  CHECK(tts.response_body() == "{\"err_code\":\"INSUFFICIENT_PERMISSIONS\"}");
  RawWsClient echo;
  CHECK_FALSE(echo.connect(sim->port(), "/test/echo"));
  CHECK(echo.status() == 401);
}

TEST_CASE("websocket close faults send 1011 and 1008 with their reasons") {
  auto sim = start_sim(
      R"({"stt":{"events":[{"at_ms":100,"type":"final","text":"one"},{"at_ms":200,"type":"final","text":"two"},{"at_ms":300,"type":"final","text":"three"}]},
      "faults":[{"endpoint":"stt","type":"close","close_code":1011,"after_messages":2},
                {"endpoint":"echo","type":"close","close_code":1008,"close_reason":"policy","after_ms":150}]})");
  RawWsClient stt;
  REQUIRE(stt.connect(sim->port(), "/v1/listen?encoding=mulaw&sample_rate=8000", dg_auth()));
  REQUIRE(stt.send_binary(std::string(8000, '\xFF')));
  auto frames = stt.recv_until_closed();
  REQUIRE(frames.size() == 3);
  CHECK(frames[2].type == WsFrame::Type::kClose);
  CHECK(frames[2].close_code == 1011);
  CHECK(frames[2].payload.find("net0000") != std::string::npos);
  RawWsClient echo;
  REQUIRE(echo.connect(sim->port(), "/test/echo"));
  WsFrame c = echo.recv();
  CHECK(c.type == WsFrame::Type::kClose);
  CHECK(c.close_code == 1008);
  CHECK(c.payload == "policy");
  CHECK(c.t_ms >= 120);
}

TEST_CASE("websocket drop, stall and malformed_json faults") {
  SUBCASE("drop cuts the TCP connection without a close frame") {
    auto sim = start_sim(R"({"faults":[{"endpoint":"echo","type":"drop","after_messages":1}]})");
    RawWsClient ws;
    REQUIRE(ws.connect(sim->port(), "/test/echo"));
    REQUIRE(ws.send_text("a"));
    CHECK(ws.recv().payload == "a");
    REQUIRE(ws.send_text("b"));
    CHECK(ws.recv().type == WsFrame::Type::kEof);
    CHECK(wait_for([&] { return sim->open_connections() == 0; }));
  }
  SUBCASE("stall delays the next message") {
    auto sim =
        start_sim(R"({"faults":[{"endpoint":"echo","type":"stall","after_messages":1,"stall_ms":300}]})");
    RawWsClient ws;
    REQUIRE(ws.connect(sim->port(), "/test/echo"));
    REQUIRE(ws.send_text("a"));
    REQUIRE(ws.send_text("b"));
    WsFrame a = ws.recv(), b = ws.recv();
    CHECK(b.payload == "b");
    CHECK(b.t_ms - a.t_ms >= 250);
  }
  SUBCASE("malformed_json sends one broken JSON text frame") {
    auto sim = start_sim(R"({"faults":[{"endpoint":"echo","type":"malformed_json","after_messages":0}]})");
    RawWsClient ws;
    REQUIRE(ws.connect(sim->port(), "/test/echo"));
    REQUIRE(ws.send_text("{}"));
    WsFrame bad = ws.recv();
    CHECK(bad.type == WsFrame::Type::kText);
    CHECK_FALSE(json::parse(bad.payload).ok());
    CHECK(ws.recv().payload == "{}");
  }
}

TEST_CASE("tts never_flushed fault sends the audio but no Flushed") {
  auto sim = start_sim(R"({"tts":{"ms_per_char":5},"faults":[{"endpoint":"tts","type":"never_flushed"}]})");
  RawWsClient ws;
  REQUIRE(ws.connect(sim->port(), "/v1/speak?encoding=mulaw&sample_rate=8000", dg_auth()));
  ws.recv();
  REQUIRE(ws.send_text(R"({"type":"Speak","text":"Hello there"})"));
  REQUIRE(ws.send_text(R"({"type":"Flush"})"));
  size_t bytes = 0;
  WsFrame f;
  while ((f = ws.recv(300)).type == WsFrame::Type::kBinary) bytes += f.payload.size();
  CHECK(bytes == 11 * 5 * 8);
  CHECK(f.type == WsFrame::Type::kTimeout);
}

}  // namespace voxline::simtest

namespace voxline::simtest {

TEST_CASE("destroying the simulator ends a stalled SSE stream with an error instead of a hang") {
  auto sim =
      start_sim(R"({"faults":[{"endpoint":"sse","type":"stall","after_messages":1,"stall_ms":60000}]})");
  HttpResult r;
  const std::string url = sim->http_url("/test/sse");
  std::thread client([&r, url] { r = http_post(url, "", HttpOptions{{}, "", 20000, 1000}); });
  REQUIRE(wait_for([&] {
    auto rec = sim->recorded("sse");
    return rec.size() >= 3;  // request, response head, first event
  }));
  CHECK(sim->open_connections() == 1);
  sim.reset();
  client.join();
  CHECK(r.status == 200);
  CHECK(r.curl_code != 0);
  CHECK(r.total_ms < 15000);
  CHECK(sse_data(r.body).size() == 1);
}

}  // namespace voxline::simtest

namespace voxline::simtest {

TEST_CASE("count-based websocket faults with after_messages 0 fire right after the handshake") {
  auto sim = start_sim(
      R"({"faults":[{"endpoint":"echo","type":"close","close_code":1011,"after_messages":0,"first_n":1},
                                     {"endpoint":"echo","type":"drop","after_messages":0}]})");
  RawWsClient closed;
  REQUIRE(closed.connect(sim->port(), "/test/echo"));
  WsFrame c = closed.recv();  // without sending anything
  CHECK(c.type == WsFrame::Type::kClose);
  CHECK(c.close_code == 1011);
  RawWsClient dropped;
  REQUIRE(dropped.connect(sim->port(), "/test/echo"));
  CHECK(dropped.recv().type == WsFrame::Type::kEof);
  CHECK(sim->load_scenario(R"({"faults":[{"endpoint":"echo","type":"stall","stall_ms":5,"after_ms":10}]})")
            .code() == StatusCode::kInvalidArgument);
}

}  // namespace voxline::simtest
