// Simulated OpenAI /v1/chat/completions: stream shape, tool-call fragments, usage, rules, pacing,
// non-streaming responses, request validation and auth.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "integration/sim/http_test_client.hpp"
#include "integration/sim/sim_test_util.hpp"

namespace voxline::simtest {
namespace {

const char *kUserHi = R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]})";

std::string chat_url(const sim::Simulator &s) {
  return s.http_url("/v1/chat/completions");
}

struct Call {
  std::string id, name, args;
  int fragments = 0;
};

// Accumulates streamed tool-call fragments by index (the first carries id, type and name; the
// rest append to arguments), checking that the sim streams them in OpenAI's shape.
std::map<int, Call> accumulate_calls(const std::vector<std::string> &events) {
  std::map<int, Call> calls;
  for (const std::string &e : events) {
    if (e == "[DONE]") continue;
    json::Document d = parse_json(e);
    const auto &choices = d["choices"];
    if (choices.Empty()) continue;
    const json::Value *tcs = json::find(choices[0]["delta"], "tool_calls");
    if (tcs == nullptr) continue;
    for (const auto &f : tcs->GetArray()) {
      int index = f["index"].GetInt();
      Call &c = calls[index];
      if (json::find(f, "id") != nullptr) {
        CHECK(c.id.empty());  // id only in the first fragment
        c.id = str(f["id"]);
        CHECK(str(f["type"]) == "function");
        c.name = str(f["function"]["name"]);
        CHECK(str(f["function"]["arguments"]).empty());
      } else {
        CHECK(json::find(f["function"], "name") == nullptr);
        c.args += str(f["function"]["arguments"]);
        c.fragments++;
      }
    }
  }
  return calls;
}

}  // namespace

TEST_CASE("llm stream has a role chunk, content deltas, a finish chunk, a usage chunk and DONE") {
  auto sim = start_sim(R"({"llm":{"default_reply":{"content":"Friday at 9 works."}}})");
  HttpResult r = http_post(chat_url(*sim),
                           R"({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},
                               "messages":[{"role":"user","content":"Can I come Friday?"}]})",
                           openai_headers());
  REQUIRE(r.curl_code == 0);
  CHECK(r.status == 200);
  CHECK(r.headers["content-type"].rfind("text/event-stream", 0) == 0);
  CHECK(r.headers["x-ratelimit-remaining-requests"] == "9999");
  auto events = sse_data(r.body);
  REQUIRE(events.size() == 8);  // role + 4 tokens + finish + usage + DONE
  CHECK(events.back() == "[DONE]");
  std::string id, text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    json::Document d = parse_json(events[i]);
    CHECK(str(d["object"]) == "chat.completion.chunk");
    CHECK(str(d["model"]) == "gpt-4o");
    if (i == 0) id = str(d["id"]);
    CHECK(str(d["id"]) == id);
    // As OpenAI does with include_usage: "usage":null on every chunk before the usage chunk.
    if (i < 6) CHECK((d.HasMember("usage") && d["usage"].IsNull()));
    if (i == 0) {
      CHECK(str(d["choices"][0]["delta"]["role"]) == "assistant");
      CHECK(str(d["choices"][0]["delta"]["content"]).empty());
    } else if (i < 5) {
      text += str(d["choices"][0]["delta"]["content"]);
      CHECK(d["choices"][0]["finish_reason"].IsNull());
    } else if (i == 5) {
      CHECK(d["choices"][0]["delta"].ObjectEmpty());
      CHECK(str(d["choices"][0]["finish_reason"]) == "stop");
    } else {
      CHECK(d["choices"].Empty());
      CHECK(d["usage"]["completion_tokens"].GetInt() == 4);
      CHECK(d["usage"]["total_tokens"].GetInt() ==
            d["usage"]["prompt_tokens"].GetInt() + d["usage"]["completion_tokens"].GetInt());
    }
  }
  CHECK(text == "Friday at 9 works.");

  HttpResult no_usage = http_post(chat_url(*sim), kUserHi, openai_headers());
  auto ev2 = sse_data(no_usage.body);
  REQUIRE(ev2.size() == 7);
  CHECK(ev2.back() == "[DONE]");
  CHECK(no_usage.body.find("\"usage\"") == std::string::npos);
}

TEST_CASE("llm streams parallel tool calls with id and name in the first fragment and arguments split") {
  auto sim = start_sim(R"({"llm":{"argument_fragment_chars":4,"default_reply":{"tool_calls":[
      {"name":"check_availability","arguments":{"date":"2025-03-21","note":"caf\u00e9 \"quoted\""}},
      {"name":"find_vehicle","arguments":"{\"customer_id\":418}"}]}}})");
  HttpResult r = http_post(chat_url(*sim), kUserHi, openai_headers());
  REQUIRE(r.status == 200);
  auto events = sse_data(r.body);
  json::Document first = parse_json(events.front());
  CHECK(first["choices"][0]["delta"]["content"].IsNull());
  CHECK(str(first["choices"][0]["delta"]["role"]) == "assistant");
  auto calls = accumulate_calls(events);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].name == "check_availability");
  CHECK(calls[1].name == "find_vehicle");
  CHECK(calls[0].id != calls[1].id);
  CHECK(calls[0].args == R"({"date":"2025-03-21","note":"café \"quoted\""})");
  CHECK(calls[1].args == R"({"customer_id":418})");
  CHECK(calls[0].fragments >= 10);  // many fragments, split at varying positions
  json::Document finish = parse_json(events[events.size() - 2]);
  CHECK(str(finish["choices"][0]["finish_reason"]) == "tool_calls");
  CHECK(parse_json(calls[0].args).IsObject());
}

TEST_CASE("llm rules answer differently once the client sends back the tool result") {
  auto sim = start_sim(R"({"llm":{"rules":[
      {"when":{"last_role":"tool","last_content_contains":"\"found\":true"},"reply":{"content":"Hi Dana, see you Friday."}},
      {"when":{"last_role":"tool"},"reply":{"content":"I could not find you."}},
      {"when":{"last_content_contains":"oil change"},"reply":{"tool_calls":[{"id":"call_A1","name":"find_customer","arguments":{"phone":"+15035550142"}}]}}
    ]}})");
  HttpResult first = http_post(
      chat_url(*sim),
      R"({"model":"gpt-4o","stream":true,"tools":[{"type":"function","function":{"name":"find_customer","parameters":{"type":"object"}}}],
      "messages":[{"role":"user","content":"I need an oil change"}]})",
      openai_headers());
  auto calls = accumulate_calls(sse_data(first.body));
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].id == "call_A1");

  auto follow_up = [&](const std::string &tool_content) {
    std::string body = R"({"model":"gpt-4o","stream":true,"messages":[
        {"role":"user","content":"I need an oil change"},
        {"role":"assistant","content":null,"tool_calls":[{"id":"call_A1","type":"function","function":{"name":"find_customer","arguments":"{\"phone\":\"+15035550142\"}"}}]},
        {"role":"tool","tool_call_id":"call_A1","content":)" +
                       json::quote(tool_content) + "}]}";
    HttpResult r = http_post(chat_url(*sim), body, openai_headers());
    std::string text;
    for (const auto &e : sse_data(r.body)) {
      if (e == "[DONE]") continue;
      json::Document d = parse_json(e);
      if (d["choices"].Empty()) continue;
      if (const json::Value *c = json::find(d["choices"][0]["delta"], "content"); c && c->IsString())
        text += str(*c);
    }
    return text;
  };
  CHECK(follow_up(R"({"found":true,"name":"Dana"})") == "Hi Dana, see you Friday.");
  CHECK(follow_up(R"({"found":false})") == "I could not find you.");
}

TEST_CASE("llm paces content deltas at the scripted token rate") {
  auto sim = start_sim(
      R"({"llm":{"tokens_per_second":50,"default_reply":{"content":"one two three four five six seven eight nine ten"}}})");
  HttpResult r = http_post(chat_url(*sim), kUserHi, openai_headers());
  REQUIRE(r.status == 200);
  CHECK(sse_data(r.body).size() == 13);
  // 10 tokens at 50/s: the last one leaves ~180 ms after the first.
  REQUIRE(r.chunks.size() >= 5);
  CHECK(r.chunks.back().t_ms - r.chunks.front().t_ms >= 150);
  CHECK(r.total_ms < 10000);
}

TEST_CASE("llm non-streaming requests get a chat.completion object") {
  auto sim = start_sim(
      R"({"llm":{"rules":[{"when":{"stream":false},"reply":{"content":"Sure.","tool_calls":[{"name":"book","arguments":{"slot":3}}]}}]}})");
  HttpResult r =
      http_post(chat_url(*sim), R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"book"}]})",
                openai_headers());
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/json");
  json::Document d = parse_json(r.body);
  CHECK(str(d["object"]) == "chat.completion");
  CHECK(str(d["model"]) == "gpt-4o-mini");
  const auto &msg = d["choices"][0]["message"];
  CHECK(str(msg["role"]) == "assistant");
  CHECK(str(msg["content"]) == "Sure.");
  CHECK(str(msg["tool_calls"][0]["function"]["name"]) == "book");
  CHECK(str(msg["tool_calls"][0]["function"]["arguments"]) == R"({"slot":3})");
  CHECK(str(d["choices"][0]["finish_reason"]) == "tool_calls");
  CHECK(d["usage"]["prompt_tokens"].GetInt() > 0);
}

TEST_CASE("llm validates requests with OpenAI-shaped 400 errors") {
  auto sim = start_sim();
  struct Case {
    const char *body;
    const char *param;
  };
  const Case cases[] = {
      {"{not json", ""},
      {R"({"messages":[{"role":"user","content":"x"}]})", "model"},
      {R"({"model":"m","messages":[]})", "messages"},
      {R"({"model":"m","messages":[{"role":"robot","content":"x"}]})", "messages[0].role"},
      {R"({"model":"m","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]})",
       "stream_options"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"call_X","content":"r"}]})",
       "messages[1].role"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"user","content":"y"}]})",
       "messages[2].role"},
      {R"({"model":"m","tools":[{"type":"function","function":{"name":"bad name"}}],"messages":[{"role":"user","content":"x"}]})",
       "tools[0].function.name"},
  };
  for (const Case &c : cases) {
    CAPTURE(c.body);
    HttpResult r = http_post(chat_url(*sim), c.body, openai_headers());
    CHECK(r.status == 400);
    CHECK(r.headers["x-request-id"].rfind("req_sim", 0) == 0);  // errors are quoted with it
    json::Document d = parse_json(r.body);
    CHECK(str(d["error"]["type"]) == "invalid_request_error");
    if (*c.param != '\0') CHECK(str(d["error"]["param"]) == c.param);
  }
}

TEST_CASE("llm rejects missing and wrong API keys with 401 and records what the client sent") {
  auto sim = start_sim();
  HttpOptions none;
  HttpResult missing = http_post(chat_url(*sim), kUserHi, none);
  CHECK(missing.status == 401);
  CHECK(parse_json(missing.body)["error"]["code"].IsNull());
  HttpResult token_scheme = http_post(chat_url(*sim), kUserHi, [] {
    HttpOptions o;
    o.headers["Authorization"] = "Token test-key";  // Deepgram's scheme is not OpenAI's
    return o;
  }());
  CHECK(token_scheme.status == 401);
  HttpResult wrong = http_post(chat_url(*sim), kUserHi, openai_headers("nope"));
  CHECK(wrong.status == 401);
  CHECK(str(parse_json(wrong.body)["error"]["code"]) == "invalid_api_key");

  sim->clear_recorded();
  HttpOptions o = openai_headers();
  o.headers["x-stainless-retry-count"] = "2";
  HttpResult ok = http_post(chat_url(*sim), kUserHi, o);
  CHECK(ok.status == 200);
  auto rec = sim->recorded("llm");
  REQUIRE(!rec.empty());
  CHECK(rec[0].kind == "http_request");
  CHECK(rec[0].direction == "in");
  CHECK(rec[0].payload == kUserHi);
  CHECK(rec[0].path == "/v1/chat/completions");
  std::map<std::string, std::string> h(rec[0].headers.begin(), rec[0].headers.end());
  CHECK(h["authorization"] == "Bearer test-key");
  CHECK(h["x-stainless-retry-count"] == "2");
  CHECK(rec[1].kind == "http_response");
  CHECK(rec[1].status == 200);
  CHECK(rec.back().payload == "data: [DONE]\n\n");
}

}  // namespace voxline::simtest

namespace voxline::simtest {

TEST_CASE("llm serves a stream, a fixed response and an error in a row on one kept-alive connection") {
  auto sim = start_sim();
  HttpSession session;
  HttpResult a = session.post(chat_url(*sim), kUserHi, openai_headers());
  CHECK(a.status == 200);
  CHECK(a.curl_code == 0);
  CHECK(a.new_connections == 1);
  HttpResult b = session.post(chat_url(*sim), R"({"model":"m","messages":[{"role":"user","content":"x"}]})",
                              openai_headers());
  CHECK(b.status == 200);
  CHECK(b.new_connections == 0);
  HttpResult c = session.post(chat_url(*sim), kUserHi, openai_headers("bad"));
  CHECK(c.status == 401);
  CHECK(c.new_connections == 0);
  HttpResult d = session.post(chat_url(*sim), kUserHi, openai_headers());
  CHECK_MESSAGE(d.curl_code == 0, d.curl_error);
  auto events = sse_data(d.body);
  REQUIRE(!events.empty());
  CHECK(events.back() == "[DONE]");
  CHECK(d.new_connections == 0);
  CHECK(wait_for([&] { return sim->open_connections() == 0; }));
}

TEST_CASE("llm accepts a 2 MB request body without waiting for Expect 100-continue") {
  auto sim = start_sim();
  std::string body = R"({"model":"m","stream":true,"messages":[{"role":"user","content":")" +
                     std::string(2000000, 'x') + "\"}]}";
  HttpOptions o = openai_headers();
  o.expect_100_timeout_ms = 20000;
  o.timeout_ms = 30000;
  HttpResult r = http_post(chat_url(*sim), body, o);
  CHECK(r.status == 200);
  CHECK(r.total_ms < 10000);  // curl would wait 20 s for "100 Continue" if the simulator ignored Expect
  auto rec = sim->recorded("llm");
  REQUIRE(!rec.empty());
  std::map<std::string, std::string> h(rec[0].headers.begin(), rec[0].headers.end());
  CHECK(h["expect"] == "100-continue");
  CHECK(rec[0].size == body.size());
}

}  // namespace voxline::simtest

namespace voxline::simtest {

TEST_CASE(
    "llm split_event_bytes writes each event in small pieces that still reassemble into the same stream") {
  const char *reply = R"({"content":"Caf\u00e9 cr\u00e8me \u2014 d\u00e9j\u00e0 vu."})";
  auto whole = start_sim(std::string(R"({"llm":{"default_reply":)") + reply + "}}");
  auto split = start_sim(std::string(R"({"llm":{"split_event_bytes":3,"default_reply":)") + reply + "}}");
  HttpResult a = http_post(chat_url(*whole), kUserHi, openai_headers());
  HttpResult b = http_post(chat_url(*split), kUserHi, openai_headers());
  REQUIRE(a.curl_code == 0);
  REQUIRE(b.curl_code == 0);
  auto ea = sse_data(a.body), eb = sse_data(b.body);
  REQUIRE(ea.size() == eb.size());
  for (size_t i = 0; i < ea.size(); ++i) {
    if (ea[i] == "[DONE]") continue;
    json::Document da = parse_json(ea[i]), db = parse_json(eb[i]);
    CHECK(json::to_string(da["choices"]) == json::to_string(db["choices"]));
  }
  CHECK(b.chunks.size() >= a.chunks.size());
  // Recorded once per event, not once per piece.
  int events = 0;
  for (const auto &m : split->recorded("llm"))
    if (m.kind == "text") ++events;
  CHECK(static_cast<size_t>(events) == eb.size());
}

}  // namespace voxline::simtest

namespace voxline::simtest {

TEST_CASE("llm honours max_completion_tokens with finish_reason length and rejects bad sampling values") {
  auto sim = start_sim(R"({"llm":{"default_reply":{"content":"one two three four five six"}}})");
  HttpResult r = http_post(
      chat_url(*sim),
      R"({"model":"m","stream":true,"max_completion_tokens":3,"messages":[{"role":"user","content":"x"}]})",
      openai_headers());
  std::string text, finish;
  for (const auto &e : sse_data(r.body)) {
    if (e == "[DONE]") continue;
    json::Document d = parse_json(e);
    const auto &ch = d["choices"][0];
    if (const json::Value *c = json::find(ch["delta"], "content"); c && c->IsString()) text += str(*c);
    if (ch["finish_reason"].IsString()) finish = str(ch["finish_reason"]);
  }
  CHECK(text == "one two three");
  CHECK(finish == "length");
  HttpResult legacy =
      http_post(chat_url(*sim), R"({"model":"m","max_tokens":2,"messages":[{"role":"user","content":"x"}]})",
                openai_headers());
  json::Document d = parse_json(legacy.body);
  CHECK(str(d["choices"][0]["message"]["content"]) == "one two");
  CHECK(str(d["choices"][0]["finish_reason"]) == "length");
  CHECK(http_post(chat_url(*sim),
                  R"({"model":"m","temperature":3,"messages":[{"role":"user","content":"x"}]})",
                  openai_headers())
            .status == 400);
  CHECK(http_post(chat_url(*sim),
                  R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})",
                  openai_headers())
            .status == 400);
}

}  // namespace voxline::simtest

namespace voxline::simtest {
namespace {

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Answer {
  std::string text;
  std::map<int, Call> calls;
};

Answer ask(const sim::Simulator &s, const std::string &messages_json) {
  HttpResult r = http_post(
      chat_url(s), R"({"model":"gpt-4o","stream":true,"messages":)" + messages_json + "}", openai_headers());
  REQUIRE(r.status == 200);
  auto events = sse_data(r.body);
  Answer a;
  a.calls = accumulate_calls(events);
  for (const auto &e : events) {
    if (e == "[DONE]") continue;
    json::Document d = parse_json(e);
    if (d["choices"].Empty()) continue;
    if (const json::Value *c = json::find(d["choices"][0]["delta"], "content"); c && c->IsString())
      a.text += str(*c);
  }
  return a;
}

}  // namespace

TEST_CASE("the oil change example scenario walks a booking through tool calls and tool results") {
  auto sim = start_sim(read_file(std::string(VOXLINE_SIM_SCENARIO_DIR) + "/oil_change_booking.json"));
  const std::string user1 =
      R"({"role":"user","content":"Hi, this is Dana. I'd like to book an oil change for Friday."})";
  Answer a1 = ask(*sim, "[" + user1 + "]");
  CHECK(a1.text == "Let me look you up.");
  REQUIRE(a1.calls.size() == 1);
  CHECK(a1.calls[0].name == "find_customer");
  auto call_msg = [](const Call &c) {
    return R"({"role":"assistant","content":null,"tool_calls":[{"id":)" + json::quote(c.id) +
           R"(,"type":"function","function":{"name":)" + json::quote(c.name) + R"(,"arguments":)" +
           json::quote(c.args) + "}}]}";
  };
  auto tool_msg = [](const Call &c, const std::string &content) {
    return R"({"role":"tool","tool_call_id":)" + json::quote(c.id) + R"(,"content":)" + json::quote(content) +
           "}";
  };
  std::string history = user1 + "," + call_msg(a1.calls[0]) + "," +
                        tool_msg(a1.calls[0], R"({"found":true,"customer_id":418})");
  Answer a2 = ask(*sim, "[" + history + "]");
  REQUIRE(a2.calls.size() == 1);
  CHECK(a2.calls[0].name == "check_availability");
  history += "," + call_msg(a2.calls[0]) + "," + tool_msg(a2.calls[0], R"({"slots":["09:00","11:00"]})");
  Answer a3 = ask(*sim, "[" + history + "]");
  CHECK(a3.text == "I have Friday at 9 AM or 11 AM. Which works better?");
  history +=
      R"(,{"role":"assistant","content":"I have Friday at 9 AM or 11 AM. Which works better?"},{"role":"user","content":"Nine in the morning works."})";
  Answer a4 = ask(*sim, "[" + history + "]");
  REQUIRE(a4.calls.size() == 1);
  CHECK(a4.calls[0].name == "book_appointment");
  history += "," + call_msg(a4.calls[0]) + "," + tool_msg(a4.calls[0], R"({"booked":true})");
  CHECK(ask(*sim, "[" + history + "]").text.find("all set for Friday") != std::string::npos);
}

}  // namespace voxline::simtest

namespace voxline::simtest {

TEST_CASE("llm can imitate servers that omit or reuse tool-call indices or send whole calls") {
  const std::string calls =
      R"("default_reply":{"tool_calls":[{"name":"a","arguments":{"x":1}},{"name":"b","arguments":{"y":"z"}}]})";
  auto fragments = [&](const std::string &flags) {
    auto sim = start_sim(R"({"llm":{)" + flags + "," + calls + "}}");
    std::vector<std::string> out;
    for (const auto &e : sse_data(http_post(chat_url(*sim), kUserHi, openai_headers()).body)) {
      if (e == "[DONE]") continue;
      json::Document d = parse_json(e);
      if (d["choices"].Empty()) continue;
      if (const json::Value *t = json::find(d["choices"][0]["delta"], "tool_calls"))
        for (const auto &f : t->GetArray()) out.push_back(json::to_string(f));
    }
    return out;
  };
  for (const auto &f : fragments(R"("omit_tool_call_index":true)"))
    CHECK(f.find("\"index\"") == std::string::npos);
  for (const auto &f : fragments(R"("reuse_tool_call_index":true)"))
    CHECK(f.find("\"index\":0") != std::string::npos);
  auto whole = fragments(R"("whole_tool_calls":true)");
  REQUIRE(whole.size() == 2);
  json::Document first = parse_json(whole[0]);
  CHECK(str(first["function"]["name"]) == "a");
  CHECK(first["function"]["arguments"].IsObject());
  CHECK(first["function"]["arguments"]["x"].GetInt() == 1);
  CHECK(str(parse_json(whole[1])["id"]).size() > 0);
}

}  // namespace voxline::simtest
