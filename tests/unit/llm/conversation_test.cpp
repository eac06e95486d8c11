// Conversation: the budget, incremental counts that equal a full recount, trimming by whole
// units that never orphans a tool message or drops the system prompt, the facts or the newest
// turn, and property-style runs over random conversations and budgets where every built request
// renders (the server-side pairing rules hold) and respects its budget.
#include "voxline/llm/conversation.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "voxline/core/json.hpp"
#include "voxline/tokenizer/chat_tokens.hpp"

using namespace voxline;

namespace {

std::unique_ptr<Conversation> make(int64_t window = 0, int64_t max_out = 1024, int64_t margin = 256) {
  ConversationOptions o;
  o.model = "gpt-4o";
  o.context_window = window;
  o.max_output_tokens = max_out;
  o.margin_tokens = margin;
  auto c = Conversation::create(o);
  REQUIRE_MESSAGE(c.ok(), c.status().to_string());
  return std::move(*c);
}

// The prompt tokens of `req` counted from scratch, the cookbook way.
int64_t recount(const ChatRequest &req) {
  auto counter = tokenizer::ChatTokenCounter::for_model("gpt-4o");
  REQUIRE(counter.ok());
  std::vector<tokenizer::ChatMessage> msgs;
  for (const ChatMessage &m : req.messages) msgs.push_back(chat_message_for_counting(m));
  std::vector<tokenizer::ToolDefinition> tools;
  for (const ToolDefinition &d : req.tools) {
    tokenizer::ToolDefinition t;
    t.name = d.name;
    t.description = d.description;
    if (!d.parameters_json.empty()) t.properties.push_back({"note", "string", "", std::nullopt});
    tools.push_back(t);
  }
  return (*counter)->count_prompt(msgs, tools);
}

ToolDefinition tool() {
  return ToolDefinition{
      "book_appointment", "Books a slot", R"({"type":"object","properties":{"note":{"type":"string"}}})", {}};
}

}  // namespace

TEST_CASE("the budget is the context window minus the output and the margin, per model") {
  auto c = make();
  CHECK(c->budget() == 128000 - 1024 - 256);
  CHECK(make(8000, 1000, 0)->budget() == 7000);
  ConversationOptions o;
  o.model = "llama3.1:8b";
  CHECK(Conversation::create(o).status().code() == StatusCode::kNotFound);  // no tokenizer for it
  o.tokenizer_model = "gpt-4o";
  CHECK(Conversation::create(o).status().code() == StatusCode::kInvalidArgument);  // no known window
  o.context_window = 32768;
  auto ok = Conversation::create(o);
  REQUIRE(ok.ok());
  ChatRequest req;
  REQUIRE((*ok)->add_user("hi").ok());
  REQUIRE((*ok)->build_request(req).ok());
  CHECK(req.model == "llama3.1:8b");
  o.max_output_tokens = 40000;
  CHECK(Conversation::create(o).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("the predicted prompt tokens equal a full recount of the built request") {
  auto c = make();
  c->set_system_prompt("You are the service desk of Riverside Auto. Be brief.");
  c->set_fact("caller", "Dana Whitfield, +15551234567");
  c->set_fact("vehicle", "2019 Honda Civic, VIN 2HGFC2F59KH512345");
  REQUIRE(c->set_tools({tool()}).ok());
  REQUIRE(c->add_user("I need an oil change on Friday, it's making a noise — ölwechsel?").ok());
  REQUIRE(c->add_assistant_tool_calls({{"call_1", "book_appointment", R"({"note":"oil change"})"}}).ok());
  REQUIRE(c->add_tool_result("call_1", R"({"booked":true,"id":"apt_42"})").ok());
  REQUIRE(c->add_assistant_interrupted("You're booked for Friday at nine, and").ok());
  REQUIRE(c->add_user("Great, thanks").ok());
  ChatRequest req;
  auto b = c->build_request(req);
  REQUIRE_MESSAGE(b.ok(), b.status().to_string());
  CHECK(b->prompt_tokens == recount(req));
  CHECK(b->messages_left_out == 0);
  CHECK(req.messages.size() == 2 + 5);
  CHECK(req.messages[1].content->find("- vehicle: 2019 Honda Civic") != std::string::npos);
  CHECK(*req.messages[5].content == "You're booked for Friday at nine, and");  // what was heard
  CHECK(c->history()[3].interrupted);
  CHECK(req.max_completion_tokens == 1024);
  std::string body;
  CHECK(render_chat_request(req, body).ok());
}

TEST_CASE("appends that would break the tool-call pairing are refused and change nothing") {
  auto c = make();
  REQUIRE(c->add_user("book me").ok());
  CHECK(c->add_tool_result("call_x", "{}").code() == StatusCode::kFailedPrecondition);
  REQUIRE(c->add_assistant_tool_calls({{"call_1", "a", "{}"}, {"call_2", "b", "{}"}}).ok());
  CHECK(c->pending_tool_results() == 2);
  CHECK(c->add_user("hello?").code() == StatusCode::kFailedPrecondition);
  CHECK(c->add_assistant("done").code() == StatusCode::kFailedPrecondition);
  ChatRequest req;
  CHECK(c->build_request(req).status().code() == StatusCode::kFailedPrecondition);
  REQUIRE(c->add_tool_result("call_2", "{}").ok());
  REQUIRE(c->add_tool_result("call_1", "{}").ok());
  CHECK(c->history().size() == 4);
  CHECK(c->build_request(req).ok());
  CHECK(c->add_assistant_tool_calls({{"call_3", "a", "{}"}, {"call_3", "b", "{}"}}).code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("trimming drops the oldest whole units and keeps system, facts and the newest turn") {
  // A small window so that only the newest turns fit.
  auto c = make(/*window=*/400, /*max_out=*/100, /*margin=*/0);
  c->set_system_prompt("You are the service desk.");
  c->set_fact("booking", "apt_42");
  for (int i = 0; i < 12; ++i) {
    REQUIRE(c->add_user("question number " + std::to_string(i) + " about my car and its brakes").ok());
    const std::string id = "call_" + std::to_string(i);
    REQUIRE(
        c->add_assistant_tool_calls({{id, "lookup", R"({"q":"brakes and rotors, front and rear"})"}}).ok());
    REQUIRE(c->add_tool_result(id, R"({"found":true,"detail":"pads at 3 mm, rotors fine"})").ok());
    REQUIRE(c->add_assistant("answer number " + std::to_string(i)).ok());
  }
  REQUIRE(c->add_user("the newest question").ok());
  ChatRequest req;
  auto b = c->build_request(req);
  REQUIRE_MESSAGE(b.ok(), b.status().to_string());
  CHECK(b->messages_left_out > 0);
  CHECK(b->prompt_tokens <= c->budget());
  CHECK(b->prompt_tokens == recount(req));
  CHECK(req.messages[0].role == ChatRole::kSystem);
  CHECK(req.messages[1].content->find("booking: apt_42") != std::string::npos);
  CHECK(*req.messages.back().content == "the newest question");
  CHECK(req.messages[2].role != ChatRole::kTool);  // never an orphan result first
  std::string body;
  CHECK_MESSAGE(render_chat_request(req, body).ok(), render_chat_request(req, body).to_string());
  CHECK(c->history().size() == 12 * 4 + 1);  // the stored history is untouched
}

TEST_CASE("a newest turn that alone exceeds the budget is refused, not cut") {
  auto c = make(/*window=*/200, /*max_out=*/100, /*margin=*/0);
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "word ";
  REQUIRE(c->add_user(long_text).ok());
  ChatRequest req;
  auto b = c->build_request(req);
  CHECK(b.status().code() == StatusCode::kFailedPrecondition);
  CHECK(b.status().message().find("budget") != std::string::npos);
}

TEST_CASE("property: random conversations under random budgets always build valid requests within budget") {
  std::mt19937 rng(20261207);
  const char *words[] = {"oil", "brakes", "Friday", "VIN", "ölwechsel", "9:00", "“quoted”", "rotors", "🚗"};
  auto text = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += std::string(i ? " " : "") + words[rng() % 9];
    return s;
  };
  int trimmed_runs = 0, refused_runs = 0;
  for (int run = 0; run < 300; ++run) {
    const int64_t window = 150 + static_cast<int64_t>(rng() % 1500);
    auto c = make(window, 50, static_cast<int64_t>(rng() % 20));
    if (rng() % 2) c->set_system_prompt(text(1 + static_cast<int>(rng() % 20)));
    if (rng() % 2) c->set_fact("caller", text(3));
    if (rng() % 3 == 0) REQUIRE(c->set_tools({tool()}).ok());
    const int turns = 1 + static_cast<int>(rng() % 25);
    int call = 0;
    for (int t = 0; t < turns; ++t) {
      REQUIRE(c->add_user(text(1 + static_cast<int>(rng() % 15))).ok());
      const int rounds = static_cast<int>(rng() % 3);
      for (int r = 0; r < rounds; ++r) {
        std::vector<ToolCall> calls;
        const int n = 1 + static_cast<int>(rng() % 3);
        for (int k = 0; k < n; ++k)
          calls.push_back(
              {"call_" + std::to_string(call++), "lookup", "{\"q\":" + json::quote(text(2)) + "}"});
        REQUIRE(c->add_assistant_tool_calls(calls).ok());
        // Results in any order.
        std::shuffle(calls.begin(), calls.end(), rng);
        for (const ToolCall &k : calls)
          REQUIRE(c->add_tool_result(k.id, text(1 + static_cast<int>(rng() % 8))).ok());
      }
      if (rng() % 4 == 0) {
        REQUIRE(c->add_assistant_interrupted(text(2)).ok());
      } else {
        REQUIRE(c->add_assistant(text(1 + static_cast<int>(rng() % 10))).ok());
      }
    }
    REQUIRE(c->add_user(text(3)).ok());
    ChatRequest req;
    auto b = c->build_request(req);
    if (!b.ok()) {
      CHECK(b.status().code() == StatusCode::kFailedPrecondition);  // even the newest turn is too big
      ++refused_runs;
      continue;
    }
    CAPTURE(run);
    CHECK(b->prompt_tokens <= c->budget());
    CHECK(b->prompt_tokens == recount(req));
    CHECK(*req.messages.back().content == *c->history().back().message.content);
    std::string body;
    const Status rendered = render_chat_request(req, body);  // no orphan tool message, no unanswered call
    CHECK_MESSAGE(rendered.ok(), rendered.to_string());
    if (b->messages_left_out > 0) ++trimmed_runs;
  }
  CHECK(trimmed_runs > 50);  // the budgets really forced trimming
  CHECK(refused_runs < 100);
}
