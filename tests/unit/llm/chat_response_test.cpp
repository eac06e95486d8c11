#include "voxline/llm/chat_response.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace voxline;

TEST_CASE("parse_chat_completion reads content, tool calls, finish_reason and usage of choice 0") {
  auto c =
      parse_chat_completion(R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o",
    "service_tier":"default","choices":[{"index":1,"message":{"role":"assistant","content":"other choice"}},
    {"index":0,"message":{"role":"assistant","content":"Let me check.","refusal":null,"tool_calls":[
      {"id":"call_A","type":"function","function":{"name":"find_customer","arguments":"{\"phone\":\"+15035550142\"}"}},
      {"type":"function","function":{"name":"list_slots","arguments":""}},
      {"id":"call_C","type":"function","function":{"name":"book","arguments":{"slot":7}}},
      {"id":"call_D","type":"function","function":{"name":"book","arguments":"{\"slot\":"}}]},
     "logprobs":null,"finish_reason":"tool_calls"}],
    "usage":{"prompt_tokens":412,"completion_tokens":7,"total_tokens":419,
             "prompt_tokens_details":{"cached_tokens":128},"completion_tokens_details":null}})");
  REQUIRE_MESSAGE(c.ok(), c.status().to_string());
  CHECK(c->id == "chatcmpl-1");
  CHECK(c->model == "gpt-4o");
  CHECK(c->content == "Let me check.");
  CHECK(c->refusal.empty());
  CHECK(c->finish_reason == FinishReason::kToolCalls);
  REQUIRE(c->usage);
  CHECK(*c->usage == Usage{412, 7, 419, 128, 0});
  REQUIRE(c->tool_calls.size() == 4);
  CHECK(static_cast<const ToolCall &>(c->tool_calls[0]) ==
        ToolCall{"call_A", "find_customer", R"({"phone":"+15035550142"})"});
  CHECK(c->tool_calls[0].arguments_error.empty());
  CHECK(c->tool_calls[1].id_synthesized);
  CHECK(c->tool_calls[1].id.rfind("call_vx", 0) == 0);
  CHECK(c->tool_calls[1].arguments == "{}");
  CHECK(c->tool_calls[2].arguments == R"({"slot":7})");
  CHECK(c->tool_calls[3].arguments_error.find("not valid JSON") != std::string::npos);
}

TEST_CASE("parse_chat_completion reports a refusal and the finish reasons by name") {
  auto c = parse_chat_completion(
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"content_filter"}]})");
  REQUIRE(c.ok());
  CHECK(c->refusal == "I can't help with that.");
  CHECK(c->content.empty());
  CHECK(c->finish_reason == FinishReason::kContentFilter);
  CHECK_FALSE(c->usage);
  for (const char *name : {"stop", "tool_calls", "length", "content_filter", "function_call"})
    CHECK(std::string(finish_reason_name(finish_reason_from(name))) == name);
  CHECK(finish_reason_from("eos") == FinishReason::kOther);
}

TEST_CASE("parse_chat_completion refuses malformed and mistyped bodies with PROTOCOL_ERROR") {
  for (const char *body :
       {"", "{", "[]", R"({"choices":{}})", R"({"choices":[]})", R"({"choices":[{"index":0}]})",
        R"({"choices":[{"index":0,"message":{"content":5}}]})",
        R"({"choices":[{"index":0,"message":{"tool_calls":{}}}]})",
        R"({"choices":[{"index":0,"message":{"content":"x"}}],"usage":{"prompt_tokens":-1}})"}) {
    auto c = parse_chat_completion(body);
    CHECK_MESSAGE(c.status().code() == StatusCode::kProtocolError, body);
  }
  auto c = parse_chat_completion(R"({"choices":[{"index":0,"message":{"content":5}}]})");
  CHECK(c.status().message().find("'message.content'") != std::string::npos);
}

TEST_CASE("finish_tool_call gives fresh ids and says why arguments are unusable") {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    ReceivedToolCall call;
    finish_tool_call(call);
    ids.insert(call.id);
  }
  CHECK(ids.size() == 50);
  const auto error_of = [](const char *args) {
    ReceivedToolCall call;
    call.id = "call_1";
    call.arguments = args;
    finish_tool_call(call);
    CHECK(call.id == "call_1");
    return call.arguments_error;
  };
  CHECK(error_of(R"( {"a":[1,"\u00e9"]} )").empty());
  CHECK(error_of("[1]").find("not a JSON object") != std::string::npos);
  CHECK(error_of(R"({"a":1} x)").find("bytes after") != std::string::npos);
  CHECK(error_of("{\"a\":\"\xC3(\"}").find("not valid JSON") != std::string::npos);
}

TEST_CASE("status_from_error_body carries status, type, code, param and request id") {
  const Status s = status_from_error_body(
      429,
      R"({"error":{"message":"Rate limit reached for gpt-4o on tokens per min (TPM). Please try again in 1.81s.","type":"tokens","param":null,"code":"rate_limit_exceeded"}})",
      "req_7f3a9");
  CHECK(s.code() == StatusCode::kRateLimited);
  CHECK(
      s.message() ==
      "HTTP 429 type=tokens code=rate_limit_exceeded request_id=req_7f3a9: Rate limit reached for gpt-4o on "
      "tokens per min (TPM). Please try again in 1.81s.");
  const LlmApiError *e = s.detail_as<LlmApiError>();
  REQUIRE(e != nullptr);
  CHECK(e->http_status == 429);
  CHECK(e->type == "tokens");
  CHECK(e->code == "rate_limit_exceeded");
  CHECK(e->param.empty());
  CHECK(e->request_id == "req_7f3a9");

  const Status bad = status_from_error_body(
      400,
      R"({"error":{"message":"bad tools","type":"invalid_request_error","param":"tools[0]","code":"invalid_function_parameters"}})",
      "");
  CHECK(bad.code() == StatusCode::kInvalidArgument);
  CHECK(bad.detail_as<LlmApiError>()->param == "tools[0]");
  CHECK(status_from_error_body(404, R"({"error":{"message":"no such model"}})", "").code() ==
        StatusCode::kNotFound);
  CHECK(status_from_error_body(503, R"({"error":{"message":"overloaded"}})", "").code() ==
        StatusCode::kUnavailable);
}

TEST_CASE("status_from_error_body reads top-level, string and non-JSON error bodies") {
  const Status vllm = status_from_error_body(
      400,
      R"({"object":"error","message":"\"auto\" tool choice requires --enable-auto-tool-choice","type":"BadRequestError","param":null,"code":400})",
      "");
  CHECK(vllm.detail_as<LlmApiError>()->code == "400");
  CHECK(vllm.detail_as<LlmApiError>()->type == "BadRequestError");
  CHECK(vllm.message().find("\"auto\" tool choice requires") != std::string::npos);
  const Status ollama = status_from_error_body(404, R"({"error":"model \"llama9\" not found"})", "");
  CHECK(ollama.detail_as<LlmApiError>()->message == "model \"llama9\" not found");
  const Status html = status_from_error_body(502, "<html>\r\n<body>Bad Gateway</body></html>", "req_1");
  CHECK(html.code() == StatusCode::kUnavailable);
  CHECK(html.message() == "HTTP 502 request_id=req_1: <html>  <body>Bad Gateway</body></html>");
  const Status in_stream =
      status_from_error_body(200, R"({"error":{"message":"The server had an error"}})", "");
  CHECK(in_stream.code() == StatusCode::kUnavailable);
  CHECK(in_stream.message() == "error in stream: The server had an error");
}

TEST_CASE("status_from_error_body masks a key the server echoes back in a quoted message") {
  const Status s = status_from_error_body(
      401,
      R"({"error":{"message":"Incorrect API key provided: \"sk-proj-Zq81xYw3Lm0987654321abcd\". You can find your API key at https://platform.openai.com.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
      "req_2");
  CHECK(s.code() == StatusCode::kUnauthenticated);
  CHECK(s.message().find("sk-proj-Zq81xYw3Lm0987654321abcd") == std::string::npos);
  CHECK(s.message().find("***") != std::string::npos);
  CHECK(s.detail_as<LlmApiError>()->message.find("Zq81xYw3") == std::string::npos);
  CHECK(s.detail_as<LlmApiError>()->describe().find("Zq81xYw3") == std::string::npos);
  const Status field = status_from_error_body(
      400, R"({"error":{"message":"bad","param":"api_key=sk-abcdefghijklmnop12"}})", "");
  CHECK(field.message().find("abcdefghijklmnop12") == std::string::npos);
}
