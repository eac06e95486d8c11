// Chat accounting against the cookbook's API-checked examples and hand-computed cases, and the
// per-message cache.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "voxline/core/json.hpp"
#include "voxline/tokenizer/chat_tokens.hpp"

using namespace voxline;
using namespace voxline::tokenizer;

namespace {

ChatMessage msg(std::string role, std::string content, std::optional<std::string> name = std::nullopt) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  m.name = std::move(name);
  return m;
}

// The cookbook's six-message example (How_to_count_tokens_with_tiktoken.ipynb, section 6).
std::vector<ChatMessage> corporate_jargon() {
  return {
      msg("system",
          "You are a helpful, pattern-following assistant that translates corporate jargon into plain "
          "English."),
      msg("system", "New synergies will help drive top-line growth.", "example_user"),
      msg("system", "Things working well together will increase revenue.", "example_assistant"),
      msg("system",
          "Let's circle back when we have more bandwidth to touch base on opportunities for increased "
          "leverage.",
          "example_user"),
      msg("system", "Let's talk later when we're less busy about how to do better.", "example_assistant"),
      msg("user", "This late pivot means we don't have time to boil the ocean for the client deliverable."),
  };
}

const char *kWeatherTools = R"([{
  "type": "function",
  "function": {
    "name": "get_current_weather",
    "description": "Get the current weather in a given location",
    "parameters": {
      "type": "object",
      "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "description": "The unit of temperature to return",
                 "enum": ["celsius", "fahrenheit"]}
      },
      "required": ["location"]
    }
  }
}])";

const char *kWeatherMessages = R"([
  {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
  {"role": "user", "content": "What's the weather like in San Francisco?"}
])";

std::unique_ptr<ChatTokenCounter> counter(const char *model) {
  auto c = ChatTokenCounter::for_model(model);
  REQUIRE(c.ok());
  return std::move(c).value();
}

}  // namespace

TEST_CASE("the cookbook's corporate jargon example counts 124 for gpt-4o and 129 for gpt-4") {
  CHECK(counter("gpt-4o")->count_messages(corporate_jargon()) == 124);
  CHECK(counter("gpt-4o-mini")->count_messages(corporate_jargon()) == 124);
  CHECK(counter("gpt-4")->count_messages(corporate_jargon()) == 129);
  CHECK(counter("gpt-3.5-turbo")->count_messages(corporate_jargon()) == 129);
}

TEST_CASE("the cookbook's weather tool example counts 101 for gpt-4o and 105 for gpt-4") {
  auto tools_doc = json::parse(kWeatherTools);
  auto msgs_doc = json::parse(kWeatherMessages);
  REQUIRE(tools_doc.ok());
  REQUIRE(msgs_doc.ok());
  auto tools = tool_definitions_from_json(*tools_doc);
  auto msgs = chat_messages_from_json(*msgs_doc);
  REQUIRE(tools.ok());
  REQUIRE(msgs.ok());
  REQUIRE(tools->size() == 1);
  CHECK((*tools)[0].properties.size() == 2);
  auto o = counter("gpt-4o");
  auto c = counter("gpt-4");
  CHECK(o->count_messages(*msgs) == 33);
  CHECK(c->count_messages(*msgs) == 34);
  CHECK(o->count_prompt(*msgs, *tools) == 101);
  CHECK(c->count_prompt(*msgs, *tools) == 105);
}

TEST_CASE("hand-computed message counts follow the formula") {
  auto o = counter("gpt-4o");
  // "user" and "hello" are one token each: 3 + 1 + 1, plus 3 priming.
  CHECK(o->count_message(msg("user", "hello")) == 5);
  CHECK(o->count_messages({msg("user", "hello")}) == 8);
  // name "bob" (1 token) + tokens_per_name 1.
  CHECK(o->count_message(msg("user", "hello", "bob")) == 7);
  CHECK(o->count_messages({}) == 3);
  // Special-token text in content is ordinary text (7 tokens for <|endoftext|> in o200k_base).
  CHECK(o->count_message(msg("user", "<|endoftext|>")) == 3 + 1 + 7);
  // Legacy gpt-3.5-turbo-0301: 4 per message, -1 per name.
  auto legacy = counter("gpt-3.5-turbo-0301");
  CHECK(legacy->count_message(msg("user", "hello", "bob")) == 4 + 1 + 1 + 1 - 1);
}

TEST_CASE("tool calls and tool results count their id, function name and arguments") {
  auto o = counter("gpt-4o");
  const Encoding &enc = o->encoding();
  ChatMessage call = msg("assistant", "");
  call.tool_calls.push_back({"call_abc123", "get_current_weather", R"({"location":"Paris"})"});
  const int64_t expected =
      3 + static_cast<int64_t>(enc.count_ordinary("assistant") + enc.count_ordinary("call_abc123") +
                               enc.count_ordinary("get_current_weather") +
                               enc.count_ordinary(R"({"location":"Paris"})"));
  CHECK(o->count_message(call) == expected);
  ChatMessage result = msg("tool", "18 degrees");
  result.tool_call_id = "call_abc123";
  CHECK(o->count_message(result) ==
        3 + static_cast<int64_t>(enc.count_ordinary("tool") + enc.count_ordinary("18 degrees") +
                                 enc.count_ordinary("call_abc123")));
  // Same through JSON.
  auto doc = json::parse(
      R"([{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function",
          "function":{"name":"get_current_weather","arguments":"{\"location\":\"Paris\"}"}}]},
          {"role":"tool","tool_call_id":"call_abc123","content":"18 degrees"}])");
  REQUIRE(doc.ok());
  auto msgs = chat_messages_from_json(*doc);
  REQUIRE(msgs.ok());
  CHECK(o->count_messages(*msgs) == 3 + o->count_message(call) + o->count_message(result));
}

TEST_CASE("tool definitions count by the cookbook rules including trailing periods and empty properties") {
  auto o = counter("gpt-4o");
  const Encoding &enc = o->encoding();
  ToolDefinition t;
  t.name = "hang_up";
  t.description = "End the call.";
  // func_init 7 + tokens("hang_up:End the call") + func_end 12; no properties: no prop_init.
  CHECK(o->count_tools({t}) == 7 + static_cast<int64_t>(enc.count_ordinary("hang_up:End the call")) + 12);
  CHECK(o->count_tools({}) == 0);
  ToolProperty p;
  p.name = "reason";
  p.type = "string";
  p.description = "Why.";
  p.enum_values = std::vector<std::string>{"done"};
  t.properties.push_back(p);
  const int64_t expected =
      7 + static_cast<int64_t>(enc.count_ordinary("hang_up:End the call")) + 3 + 3 - 3 + 3 +
      static_cast<int64_t>(enc.count_ordinary("done") + enc.count_ordinary("reason:string:Why"));
  CHECK(o->count_tool(t) == expected);
}

TEST_CASE("a growing conversation only encodes the new messages") {
  auto o = counter("gpt-4o");
  std::vector<ChatMessage> convo;
  int64_t expected_total = 3;
  for (int turn = 0; turn < 20; ++turn) {
    convo.push_back(
        msg(turn % 2 ? "assistant" : "user", "turn number " + std::to_string(turn) + " of the call"));
    expected_total += o->encoding().count_ordinary(convo.back().role) +
                      o->encoding().count_ordinary(convo.back().content) + 3;
    const auto before = o->stats();
    CHECK(o->count_messages(convo) == expected_total);
    const auto after = o->stats();
    CHECK(after.misses - before.misses == 1);  // only the new message was encoded
    CHECK(after.hits - before.hits == static_cast<uint64_t>(turn));
  }
  // Editing one message recomputes exactly that one.
  convo[5].content += " (edited)";
  const auto before = o->stats();
  o->count_messages(convo);
  CHECK(o->stats().misses - before.misses == 1);
}

TEST_CASE("the message cache is bounded and evicts the least recently used entry") {
  ChatTokenCounter::Limits limits;
  limits.max_entries = 2;
  ChatTokenCounter c(o200k_base(), ChatFormat::gpt_4o(), limits);
  c.count_message(msg("user", "a"));
  c.count_message(msg("user", "b"));
  c.count_message(msg("user", "a"));  // hit; "b" is now least recent
  c.count_message(msg("user", "c"));  // evicts "b"
  CHECK(c.stats().entries == 2);
  const auto s0 = c.stats();
  c.count_message(msg("user", "a"));
  CHECK(c.stats().hits == s0.hits + 1);
  c.count_message(msg("user", "b"));
  CHECK(c.stats().misses == s0.misses + 1);
  c.clear_cache();
  CHECK(c.stats().entries == 0);
  CHECK(c.stats().bytes == 0);
}

TEST_CASE("malformed messages and tools JSON are INVALID_ARGUMENT naming the element") {
  auto bad_msgs = json::parse(R"([{"role":"user","content":"hi"},{"content":"no role"}])");
  REQUIRE(bad_msgs.ok());
  auto r = chat_messages_from_json(*bad_msgs);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("messages[1]") == 0);
  auto bad_tools = json::parse(R"([{"type":"function","function":{"description":"no name"}}])");
  REQUIRE(bad_tools.ok());
  auto t = tool_definitions_from_json(*bad_tools);
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().message().find("tools[0]") == 0);
  auto not_array = json::parse(R"({"role":"user"})");
  CHECK_FALSE(chat_messages_from_json(*not_array).ok());
  auto parts = json::parse(
      R"([{"role":"user","content":[{"type":"text","text":"hel"},{"type":"text","text":"lo"}]}])");
  auto pm = chat_messages_from_json(*parts);
  REQUIRE(pm.ok());
  CHECK((*pm)[0].content == "hello");
  CHECK(ChatTokenCounter::for_model("mystery-model").status().code() == StatusCode::kNotFound);
}
