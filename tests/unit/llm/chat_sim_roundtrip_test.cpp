// The protocol layer against voxline-sim's chat endpoint, without sockets: a body rendered by
// render_chat_request goes to the sim's pure response builder, and the bytes it would send come
// back through SseParser (fed in small pieces) and ChatStreamDecoder, or parse_chat_completion.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sim/src/llm.hpp"
#include "voxline/core/json.hpp"
#include "voxline/llm/chat_request.hpp"
#include "voxline/llm/chat_response.hpp"
#include "voxline/llm/chat_stream_decoder.hpp"
#include "voxline/net/sse_parser.hpp"

using namespace voxline;
namespace simd = voxline::sim::detail;

namespace {

// A reply with text, a call with a scripted id and one whose id the sim generates, arguments
// with multibyte UTF-8 and JSON escapes.
constexpr const char *kReply =
    R"("default_reply":{"content":"Caf\u00e9 at 9 \ud83d\ude97 works.","tool_calls":[
    {"id":"call_Q4mB7yX2sLk9","name":"find_customer","arguments":{"phone":"+15035550142"}},
    {"name":"save_note","arguments":"{\"note\":\"say \\\"hi\\\"\\n caf\u00e9 \ud83d\ude97\",\"alt\":\"\\u00e9\"}"}]})";

std::string request_body(bool stream) {
  ChatRequest r;
  r.model = "gpt-4o";
  r.stream = stream;
  r.include_usage = stream;
  r.messages = {ChatMessage::system("You are the receptionist."), ChatMessage::user("Book me for Friday.")};
  r.tools = {{"find_customer", "Look up a customer.",
              R"({"type":"object","properties":{"phone":{"type":"string"}}})", std::nullopt},
             {"save_note", "", "", std::nullopt}};
  r.tool_choice = ToolChoice::automatic();
  std::string body;
  const Status s = render_chat_request(r, body);
  REQUIRE_MESSAGE(s.ok(), s.to_string());
  return body;
}

simd::HttpPlan respond(const std::string &llm_options, bool stream) {
  auto scenario = simd::parse_scenario(std::string(R"({"llm":{)") + kReply + llm_options + "}}");
  REQUIRE_MESSAGE(scenario.ok(), scenario.status().to_string());
  simd::LlmRequestContext ctx;
  ctx.serial = 7;
  simd::HttpPlan plan = simd::build_llm_response(request_body(stream), (*scenario)->llm, {}, ctx);
  REQUIRE_MESSAGE(plan.status == 200, plan.body);
  return plan;
}

void check_reply(const ChatCompletion &c, bool verbatim_arguments) {
  CHECK(c.content == "Caf\xC3\xA9 at 9 \xF0\x9F\x9A\x97 works.");
  CHECK(c.finish_reason == FinishReason::kToolCalls);
  REQUIRE(c.tool_calls.size() == 2);
  CHECK(c.tool_calls[0].id == "call_Q4mB7yX2sLk9");
  CHECK(c.tool_calls[0].name == "find_customer");
  CHECK(c.tool_calls[0].arguments == R"({"phone":"+15035550142"})");
  CHECK_FALSE(c.tool_calls[1].id.empty());
  CHECK(c.tool_calls[1].id != c.tool_calls[0].id);
  CHECK(c.tool_calls[1].name == "save_note");
  // Verbatim when streamed as a string; whole_tool_calls sends an object, which re-serialises
  // "\u00e9" as the character itself, so compare the JSON values.
  const std::string expected =
      "{\"note\":\"say \\\"hi\\\"\\n caf\xC3\xA9 \xF0\x9F\x9A\x97\",\"alt\":\"\\u00e9\"}";
  auto got = json::parse(c.tool_calls[1].arguments);
  REQUIRE(got.ok());
  CHECK(json::to_string(*got) == json::to_string(*json::parse(expected)));
  if (verbatim_arguments) CHECK(c.tool_calls[1].arguments == expected);
  for (const auto &call : c.tool_calls) CHECK(call.arguments_error.empty());
}

}  // namespace

TEST_CASE(
    "a rendered request answered by the sim's stream decodes to the scripted reply, for each server quirk") {
  const char *quirks[] = {
      "",
      R"(,"argument_fragment_chars":1,"usage_null":true)",
      R"(,"omit_tool_call_index":true,"comments":true)",
      R"(,"reuse_tool_call_index":true,"crlf":true)",
      R"(,"whole_tool_calls":true,"azure_empty_first_chunk":true)",
  };
  for (const char *quirk : quirks) {
    INFO("quirk: " << std::string(quirk));
    const simd::HttpPlan plan = respond(quirk, true);
    std::string bytes;
    for (const auto &step : plan.steps) bytes += step.data;
    SseParser parser;
    ChatStreamDecoder dec;
    ChatStreamDelta delta;
    std::vector<SseEvent> events;
    std::string streamed;
    bool usage_chunk = false;
    for (size_t at = 0; at < bytes.size(); at += 7) {  // 7-byte reads split UTF-8 and CRLF
      events.clear();
      REQUIRE(parser.feed(std::string_view(bytes).substr(at, 7), events).ok());
      for (const SseEvent &e : events) {
        const Status s = dec.feed(e.data, delta, e.event);
        REQUIRE_MESSAGE(s.ok(), s.to_string());
        streamed.append(delta.content.data(), delta.content.size());
        usage_chunk = usage_chunk || delta.usage;
      }
    }
    REQUIRE_MESSAGE(dec.finish().ok(), dec.finish().to_string());
    CHECK(streamed == dec.completion().content);
    CHECK(usage_chunk);
    REQUIRE(dec.completion().usage);
    CHECK(dec.completion().usage->prompt_tokens > 0);
    check_reply(dec.completion(), std::string(quirk).find("whole_tool_calls") == std::string::npos);
  }
}

TEST_CASE("a rendered request answered by the sim without streaming parses to the scripted reply") {
  const simd::HttpPlan plan = respond("", false);
  std::string body = plan.body;
  if (body.empty())
    for (const auto &step : plan.steps) body += step.data;
  auto c = parse_chat_completion(body);
  REQUIRE_MESSAGE(c.ok(), c.status().to_string());
  check_reply(*c, true);
  REQUIRE(c->usage);
  CHECK(c->usage->total_tokens == c->usage->prompt_tokens + c->usage->completion_tokens);
}

TEST_CASE("the sim's 400 for an unanswered tool call reads as a clear INVALID_ARGUMENT with its fields") {
  auto scenario = simd::parse_scenario("");
  REQUIRE(scenario.ok());
  // A body the renderer would refuse, written by hand as a buggy client might send it.
  const std::string body =
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,)"
      R"("tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
      R"({"role":"user","content":"again"}]})";
  const simd::HttpPlan plan = simd::build_llm_response(body, (*scenario)->llm, {}, simd::LlmRequestContext{});
  REQUIRE(plan.status == 400);
  std::string text = plan.body;
  if (text.empty())
    for (const auto &step : plan.steps) text += step.data;
  const Status s = status_from_error_body(plan.status, text, "req_sim_1");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  REQUIRE(s.detail_as<LlmApiError>() != nullptr);
  CHECK(s.detail_as<LlmApiError>()->type == "invalid_request_error");
  CHECK(s.message().find("HTTP 400 type=invalid_request_error") == 0);
  CHECK(s.message().find("request_id=req_sim_1") != std::string::npos);
}
