// Conversation (see conversation.hpp): per-message token counts taken once, and trimming by
// whole turn units from the oldest, behind a protected suffix that starts at the last user turn.
#include "voxline/llm/conversation.hpp"

#include <algorithm>
#include <utility>

#include "voxline/core/json.hpp"
#include "voxline/tokenizer/chat_tokens.hpp"

namespace voxline {
namespace {

// Context windows of the model families the tokenizer knows, by name prefix (longest first).
int64_t context_window_of(std::string_view model) {
  struct Window {
    const char *prefix;
    int64_t tokens;
  };
  static const Window kWindows[] = {
      {"gpt-4.1", 1047576}, {"gpt-4o", 128000},       {"gpt-4-turbo", 128000}, {"gpt-4-32k", 32768},
      {"gpt-4", 8192},      {"gpt-3.5-turbo", 16385}, {"o1", 200000},          {"o3", 200000},
      {"o4", 200000},       {"gpt-5", 400000},
  };
  for (const Window &w : kWindows)
    if (model.substr(0, std::char_traits<char>::length(w.prefix)) == w.prefix) return w.tokens;
  return 0;
}

// The tools as the request sends them, in the shape tool_definitions_from_json reads.
Result<std::vector<tokenizer::ToolDefinition>> tools_for_counting(const std::vector<ToolDefinition> &tools) {
  std::string text = "[";
  for (size_t i = 0; i < tools.size(); ++i) {
    const ToolDefinition &t = tools[i];
    text += i ? "," : "";
    text += R"({"type":"function","function":{"name":)" + json::quote(t.name);
    if (!t.description.empty()) text += ",\"description\":" + json::quote(t.description);
    if (!t.parameters_json.empty()) text += ",\"parameters\":" + t.parameters_json;
    text += "}}";
  }
  text += "]";
  auto doc = json::parse(text);
  if (!doc.ok())
    return invalid_argument("tool parameters are not a JSON schema object: " + doc.status().message());
  return tokenizer::tool_definitions_from_json(*doc);
}

// Start of each trimmable unit in history[0, end): a unit is one message, or an assistant
// message with tool_calls plus the tool messages that follow it.
std::vector<size_t> unit_starts(const std::vector<ConversationEntry> &history, size_t end) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < end; ++i)
    if (history[i].message.role != ChatRole::kTool) starts.push_back(i);
  return starts;
}

}  // namespace

tokenizer::ChatMessage chat_message_for_counting(const ChatMessage &m) {
  tokenizer::ChatMessage t;
  t.role = chat_role_name(m.role);
  t.content = m.content.value_or("");
  if (!m.name.empty()) t.name = m.name;
  for (const ToolCall &c : m.tool_calls) t.tool_calls.push_back({c.id, c.name, c.arguments});
  if (m.role == ChatRole::kTool) t.tool_call_id = m.tool_call_id;
  return t;
}

Result<std::unique_ptr<Conversation>> Conversation::create(ConversationOptions options) {
  const std::string &tok_model = options.tokenizer_model.empty() ? options.model : options.tokenizer_model;
  if (options.model.empty()) return invalid_argument("Conversation: no model");
  VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<tokenizer::ChatTokenCounter> counter,
                           tokenizer::ChatTokenCounter::for_model(tok_model));
  if (options.context_window <= 0) options.context_window = context_window_of(options.model);
  if (options.context_window <= 0)
    return invalid_argument("Conversation: no known context window for '" + options.model +
                            "'; set ConversationOptions::context_window");
  if (options.max_output_tokens <= 0 || options.margin_tokens < 0)
    return invalid_argument("Conversation: max_output_tokens must be > 0 and margin_tokens >= 0");
  const int64_t budget = options.context_window - options.max_output_tokens - options.margin_tokens;
  if (budget <= 0)
    return invalid_argument("Conversation: context_window " + std::to_string(options.context_window) +
                            " leaves no room after max_output_tokens and margin_tokens");
  return std::unique_ptr<Conversation>(new Conversation(std::move(options), std::move(counter), budget));
}

Conversation::Conversation(ConversationOptions options, std::unique_ptr<tokenizer::ChatTokenCounter> counter,
                           int64_t budget)
    : options_(std::move(options)), counter_(std::move(counter)), budget_(budget) {}

Conversation::~Conversation() = default;

int64_t Conversation::count(const ChatMessage &message) const {
  return counter_->count_message(chat_message_for_counting(message));
}

void Conversation::set_system_prompt(std::string text) {
  system_ = ChatMessage::system(std::move(text));
  system_tokens_ = system_.content->empty() ? 0 : count(system_);
}

Status Conversation::set_tools(std::vector<ToolDefinition> tools) {
  VOXLINE_ASSIGN_OR_RETURN(std::vector<tokenizer::ToolDefinition> counted, tools_for_counting(tools));
  tools_tokens_ = counter_->count_tools(counted);
  tools_ = std::move(tools);
  return Status::Ok();
}

ChatMessage Conversation::facts_message() const {
  std::string text = options_.facts_heading;
  for (const auto &[key, value] : facts_) text += "\n- " + key + ": " + value;
  return ChatMessage::system(std::move(text));
}

void Conversation::set_fact(const std::string &key, std::string value) {
  facts_[key] = std::move(value);
  facts_tokens_ = count(facts_message());
}

bool Conversation::erase_fact(const std::string &key) {
  if (facts_.erase(key) == 0) return false;
  facts_tokens_ = facts_.empty() ? 0 : count(facts_message());
  return true;
}

Status Conversation::append(ChatMessage message, bool interrupted) {
  ConversationEntry e;
  e.tokens = count(message);
  e.message = std::move(message);
  e.interrupted = interrupted;
  history_.push_back(std::move(e));
  return Status::Ok();
}

Status Conversation::add_user(std::string text) {
  if (!pending_.empty())
    return failed_precondition("Conversation: a user message while " + std::to_string(pending_.size()) +
                               " tool results are pending");
  return append(ChatMessage::user(std::move(text)), false);
}

Status Conversation::add_assistant(std::string text) {
  if (!pending_.empty())
    return failed_precondition("Conversation: an assistant message while tool results are pending");
  return append(ChatMessage::assistant(std::move(text)), false);
}

Status Conversation::add_assistant_interrupted(std::string heard) {
  if (!pending_.empty())
    return failed_precondition("Conversation: an assistant message while tool results are pending");
  return append(ChatMessage::assistant(std::move(heard)), true);
}

Status Conversation::add_assistant_tool_calls(std::vector<ToolCall> calls, std::optional<std::string> text) {
  if (!pending_.empty())
    return failed_precondition("Conversation: new tool calls while earlier results are pending");
  if (calls.empty())
    return invalid_argument("Conversation: an assistant tool-call message needs at least one call");
  for (const ToolCall &c : calls) {
    if (c.id.empty()) return invalid_argument("Conversation: a tool call without an id");
    if (std::count(pending_.begin(), pending_.end(), c.id) > 0)
      return invalid_argument("Conversation: tool call id '" + c.id + "' used twice");
    pending_.push_back(c.id);
  }
  return append(ChatMessage::assistant_tool_calls(std::move(calls), std::move(text)), false);
}

Status Conversation::add_tool_result(const std::string &tool_call_id, std::string result) {
  auto it = std::find(pending_.begin(), pending_.end(), tool_call_id);
  if (it == pending_.end())
    return failed_precondition("Conversation: a tool result for '" + tool_call_id +
                               "', which no pending call has");
  pending_.erase(it);
  return append(ChatMessage::tool(tool_call_id, std::move(result)), false);
}

Result<ConversationBudget> Conversation::build_request(ChatRequest &request) const {
  if (!pending_.empty())
    return failed_precondition("Conversation: " + std::to_string(pending_.size()) +
                               " tool results are pending");
  const tokenizer::ChatFormat &format = counter_->format();
  // Always sent: system, facts, tools, reply priming, and the newest user turn onward.
  int64_t fixed = system_tokens_ + facts_tokens_ + tools_tokens_ + format.reply_priming;
  size_t protected_from = history_.size();
  for (size_t i = history_.size(); i-- > 0;) {
    if (history_[i].message.role == ChatRole::kUser) {
      protected_from = i;
      break;
    }
  }
  if (protected_from == history_.size()) protected_from = 0;  // no user turn yet: everything is "newest"
  for (size_t i = protected_from; i < history_.size(); ++i) fixed += history_[i].tokens;
  if (fixed > budget_)
    return failed_precondition("Conversation: the system prompt, facts, tools and newest turn need " +
                               std::to_string(fixed) + " tokens, over the budget of " +
                               std::to_string(budget_));
  // Keep the newest whole units before the protected part while they fit.
  const std::vector<size_t> starts = unit_starts(history_, protected_from);
  size_t first_kept = protected_from;
  int64_t used = fixed;
  for (size_t u = starts.size(); u-- > 0;) {
    const size_t begin = starts[u], end = u + 1 < starts.size() ? starts[u + 1] : protected_from;
    int64_t unit = 0;
    for (size_t i = begin; i < end; ++i) unit += history_[i].tokens;
    if (used + unit > budget_) break;
    used += unit;
    first_kept = begin;
  }
  // A leading orphan tool message cannot happen: units start at non-tool messages.
  request.model = options_.model;
  request.messages.clear();
  if (system_tokens_ > 0) request.messages.push_back(system_);
  if (!facts_.empty()) request.messages.push_back(facts_message());
  for (size_t i = first_kept; i < history_.size(); ++i) request.messages.push_back(history_[i].message);
  request.tools = tools_;
  request.max_completion_tokens = options_.max_output_tokens;
  ConversationBudget b;
  b.budget = budget_;
  b.prompt_tokens = used;
  b.messages_sent = history_.size() - first_kept;
  b.messages_left_out = first_kept;
  return b;
}

}  // namespace voxline
