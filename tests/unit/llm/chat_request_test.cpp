#include "voxline/llm/chat_request.hpp"

#include <doctest/doctest.h>

#include <string>

#include "voxline/core/json.hpp"

using namespace voxline;

namespace {

constexpr const char *kFindCustomerSchema =
    R"({ "type": "object",
         "properties": {"phone": {"type": "string", "description": "E.164 phone number"}},
         "required": ["phone"], "additionalProperties": false })";

// A receptionist turn with one answered tool call, built from typed parts.
ChatRequest receptionist_request() {
  ChatRequest r;
  r.model = "gpt-4o";
  r.stream = true;
  r.include_usage = true;
  r.temperature = 0.6;
  r.max_completion_tokens = 300;
  r.parallel_tool_calls = true;
  r.tool_choice = ToolChoice::automatic();
  r.messages = {
      ChatMessage::system("You are the phone receptionist for Ridgeway Auto Service..."),
      ChatMessage::user("Hi, this is Dana, I'd like to book an oil change for Friday."),
      ChatMessage::assistant_tool_calls(
          {{"call_Q4mB7yX2sLk9", "find_customer", R"({"phone":"+15035550142"})"}}),
      ChatMessage::tool("call_Q4mB7yX2sLk9", R"({"found":true,"customer_id":418,"name":"Dana Ortiz"})"),
  };
  r.tools = {{"find_customer", "Look up a customer by phone number.", kFindCustomerSchema, true}};
  return r;
}

std::string render(const ChatRequest &r, const ChatRenderOptions &o = {}) {
  std::string out;
  const Status s = render_chat_request(r, out, o);
  REQUIRE_MESSAGE(s.ok(), s.to_string());
  return out;
}

Status render_error(const ChatRequest &r) {
  std::string out;
  return render_chat_request(r, out);
}

}  // namespace

TEST_CASE("render_chat_request writes the OpenAI body of a tool-call turn byte for byte") {
  const std::string expected =
      R"({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"temperature":0.6,)"
      R"("max_completion_tokens":300,"parallel_tool_calls":true,"tool_choice":"auto","messages":[)"
      R"({"role":"system","content":"You are the phone receptionist for Ridgeway Auto Service..."},)"
      R"({"role":"user","content":"Hi, this is Dana, I'd like to book an oil change for Friday."},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_Q4mB7yX2sLk9","type":"function",)"
      R"("function":{"name":"find_customer","arguments":"{\"phone\":\"+15035550142\"}"}}]},)"
      R"({"role":"tool","content":"{\"found\":true,\"customer_id\":418,\"name\":\"Dana Ortiz\"}",)"
      R"("tool_call_id":"call_Q4mB7yX2sLk9"}],"tools":[{"type":"function","function":{"name":"find_customer",)"
      R"("description":"Look up a customer by phone number.","parameters":{"type":"object","properties":)"
      R"({"phone":{"type":"string","description":"E.164 phone number"}},"required":["phone"],)"
      R"("additionalProperties":false},"strict":true}}]})";
  CHECK(render(receptionist_request()) == expected);
}

TEST_CASE("render_chat_request writes seed, user, named tool_choice, json_schema format and escapes text") {
  ChatRequest r = receptionist_request();
  r.stream = false;
  r.include_usage = false;
  r.seed = -7;
  r.user = "caller-418";
  r.tool_choice = ToolChoice::named("find_customer");
  r.response_format = {ResponseFormat::Kind::kJsonSchema, "slot_answer", R"({"type":"object"})", true};
  r.messages[1].content = "quote \" backslash \\ newline \n caf\xC3\xA9 \xF0\x9F\x9A\x97";
  r.messages[1].name = "dana";
  const std::string body = render(r);
  auto doc = json::parse(body);
  REQUIRE(doc.ok());
  CHECK(json::find(*doc, "stream") == nullptr);
  CHECK(json::find(*doc, "stream_options") == nullptr);
  CHECK((*doc)["seed"].GetInt64() == -7);
  CHECK(json::view((*doc)["user"]) == "caller-418");
  CHECK(json::to_string((*doc)["tool_choice"]) ==
        R"({"type":"function","function":{"name":"find_customer"}})");
  CHECK(
      json::to_string((*doc)["response_format"]) ==
      R"({"type":"json_schema","json_schema":{"name":"slot_answer","schema":{"type":"object"},"strict":true}})");
  CHECK(json::view((*doc)["messages"][1]["content"]) == *r.messages[1].content);
  CHECK(json::view((*doc)["messages"][1]["name"]) == "dana");
}

TEST_CASE("render_chat_request honours the server's field quirks") {
  ChatRenderOptions quirks;
  quirks.legacy_max_tokens = true;
  quirks.send_stream_options = false;
  quirks.send_parallel_tool_calls = false;
  const std::string body = render(receptionist_request(), quirks);
  CHECK(body.find(R"("max_tokens":300)") != std::string::npos);
  CHECK(body.find("max_completion_tokens") == std::string::npos);
  CHECK(body.find("stream_options") == std::string::npos);
  CHECK(body.find("parallel_tool_calls") == std::string::npos);
  CHECK(body.find(R"("stream":true)") != std::string::npos);
}

TEST_CASE("render_chat_request omits unset options and tools") {
  ChatRequest r;
  r.model = "llama3.1";
  r.messages = {ChatMessage::user("hello")};
  CHECK(render(r) == R"({"model":"llama3.1","messages":[{"role":"user","content":"hello"}]})");
}

TEST_CASE("render_chat_request refuses orphan tool messages and unanswered tool calls") {
  ChatRequest r = receptionist_request();
  r.messages.erase(r.messages.begin() + 2);  // the tool message now answers nothing
  Status s = render_error(r);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("messages[2]: tool message answers no pending tool call 'call_Q4mB7yX2sLk9'") !=
        std::string::npos);

  r = receptionist_request();
  r.messages.pop_back();  // the call is left unanswered at the end
  s = render_error(r);
  CHECK(s.message().find("tool call 'call_Q4mB7yX2sLk9' has no tool message") != std::string::npos);

  r = receptionist_request();
  r.messages.insert(r.messages.begin() + 3, ChatMessage::user("hello?"));  // user turn before the result
  s = render_error(r);
  CHECK(s.message().find("messages[3]: tool call 'call_Q4mB7yX2sLk9' has no tool message before it") !=
        std::string::npos);

  r = receptionist_request();
  r.messages.push_back(ChatMessage::tool("call_Q4mB7yX2sLk9", "again"));  // answered twice
  CHECK(render_error(r).message().find("messages[4]") != std::string::npos);
}

TEST_CASE("render_chat_request refuses what the server would refuse with 400") {
  auto refused = [](void (*edit)(ChatRequest &), const char *needle) {
    ChatRequest r = receptionist_request();
    edit(r);
    const Status s = render_error(r);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_MESSAGE(s.message().find(needle) != std::string::npos, s.message());
  };
  refused([](ChatRequest &r) { r.model.clear(); }, "model is empty");
  refused([](ChatRequest &r) { r.messages.clear(); }, "messages is empty");
  refused([](ChatRequest &r) { r.stream = false; }, "include_usage needs stream");
  refused([](ChatRequest &r) { r.temperature = 2.5; }, "temperature 2.5 is outside 0..2");
  refused([](ChatRequest &r) { r.max_completion_tokens = 0; }, "max_completion_tokens 0 must be positive");
  refused([](ChatRequest &r) { r.tools[0].name = "find customer"; }, "tools[0]: invalid function name");
  refused([](ChatRequest &r) { r.tools[0].name = std::string(65, 'a'); }, "tools[0]: invalid function name");
  refused([](ChatRequest &r) { r.tools[0].parameters_json = "[1,2]"; },
          "tools[0].parameters must be a JSON object");
  refused([](ChatRequest &r) { r.tools[0].parameters_json = "{\"type\":"; },
          "tools[0].parameters: invalid JSON");
  refused([](ChatRequest &r) { r.tool_choice = ToolChoice::named("book"); }, "'book' that is not in tools");
  refused(
      [](ChatRequest &r) {
        r.tools.clear();
        r.parallel_tool_calls.reset();
      },
      "tool_choice other than none needs tools");
  refused([](ChatRequest &r) { r.messages[1].content.reset(); }, "messages[1]: content may be null only");
  refused([](ChatRequest &r) { r.messages[1].content = "bad \xC3("; }, "not valid UTF-8");
  refused([](ChatRequest &r) { r.messages[2].tool_calls[0].name = ""; },
          "messages[2].tool_calls[0]: invalid function name");
  refused([](ChatRequest &r) { r.messages[1].tool_call_id = "x"; }, "tool_call_id on a non-tool message");
  refused(
      [](ChatRequest &r) {
        r.tool_choice = {};
        r.tools.clear();
      },
      "parallel_tool_calls needs tools");
}
