// File: conversation.hpp
// Conversation: the history of one call as the LLM sees it, with an exact token budget. It holds
// the system prompt, a pinned facts block (typed working state of the call: the caller, the
// vehicle, candidate slots, a booking id), the turns (user, assistant, assistant tool calls with
// their tool results), and the tools; build_request() renders what fits into a ChatRequest.
//
//   ConversationOptions o;
//   o.model = "gpt-4o";                       // picks the tokenizer and the context window
//   VOXLINE_ASSIGN_OR_RETURN(auto conv, Conversation::create(o));
//   conv->set_system_prompt("You are the service desk of ...");
//   conv->set_fact("caller", "Dana Whitfield, +15551234567");
//   VOXLINE_RETURN_IF_ERROR(conv->add_user("I need an oil change on Friday"));
//   ChatRequest req;
//   VOXLINE_ASSIGN_OR_RETURN(ConversationBudget b, conv->build_request(req));
//   llm->stream(slot, req, handler, {b.prompt_tokens});
//
// Budget: context_window - max_output_tokens - margin_tokens, counted with the exact tokenizer of
// the model the way OpenAI's cookbook counts a chat prompt (messages, tools, reply priming). Each
// message is counted once, when it is added (the facts block when a fact changes), so a growing
// history never re-encodes what it already counted.
// Trimming (in build_request, never in the stored history): the oldest turns are left out first,
// as whole units: a user message; an assistant answer; an assistant message with tool_calls
// together with every tool message that answers it. The system prompt, the facts block and the
// newest user turn (the last user message and everything after it) are always sent, so a request
// never carries an orphan tool message or a tool call without its result, and the working set of
// the call is never lost. FAILED_PRECONDITION when even those do not fit.
// Interruptions: add_assistant_interrupted() stores what the caller actually heard (the text that
// was played before a barge-in), marked `interrupted`; the model sees only that text.
// Ownership: a plain object; the counter it uses is shared and thread-safe.
// Thread-safety: one thread at a time (the session's slot).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/llm/chat_request.hpp"
#include "voxline/tokenizer/chat_tokens.hpp"

namespace voxline {

// `message` in the form the chat token accounting counts (role name, content, name, tool calls,
// tool_call_id): what Conversation counts, for anyone who recounts a request.
VOXLINE_API tokenizer::ChatMessage chat_message_for_counting(const ChatMessage &message);

struct ConversationOptions {
  std::string model = "gpt-4o";      // the request's model
  std::string tokenizer_model;       // the model whose tokenizer counts ("" = model); e.g. "gpt-4o"
                                     // for a self-hosted model the tokenizer does not know
  int64_t context_window = 0;        // 0 = the model's (128000 for gpt-4o, 8192 for gpt-4, ...)
  int64_t max_output_tokens = 1024;  // reserved for the answer (and sent as max_completion_tokens)
  int64_t margin_tokens = 256;       // slack for the server's own accounting
  std::string facts_heading = "Known facts about this call (keep them in mind, do not repeat them verbatim):";
};

// One stored message and its token count.
struct ConversationEntry {
  ChatMessage message;
  bool interrupted = false;  // assistant: the caller barged in; content is what was heard
  int64_t tokens = 0;        // as counted when added (tokens_per_message + fields)
};

struct ConversationBudget {
  int64_t budget = 0;            // what a prompt may use
  int64_t prompt_tokens = 0;     // predicted prompt tokens of the built request
  size_t messages_sent = 0;      // history messages in the request (system and facts not included)
  size_t messages_left_out = 0;  // oldest history messages trimmed to fit
};

class VOXLINE_API Conversation {
 public:
  // NOT_FOUND for a model the tokenizer does not know; INVALID_ARGUMENT for a budget <= 0.
  static Result<std::unique_ptr<Conversation>> create(ConversationOptions options);
  ~Conversation();

  void set_system_prompt(std::string text);
  // Replaces the tools sent with every request. INVALID_ARGUMENT for a bad parameters schema.
  Status set_tools(std::vector<ToolDefinition> tools);
  // Pinned facts, rendered (sorted by key) after the system prompt; never trimmed.
  void set_fact(const std::string &key, std::string value);
  bool erase_fact(const std::string &key);
  const std::map<std::string, std::string> &facts() const noexcept { return facts_; }

  // Appending. FAILED_PRECONDITION when the message would break the tool-call pairing (a user or
  // assistant message while tool results are pending, a tool result for no pending call).
  Status add_user(std::string text);
  Status add_assistant(std::string text);
  Status add_assistant_interrupted(std::string heard);
  Status add_assistant_tool_calls(std::vector<ToolCall> calls,
                                  std::optional<std::string> text = std::nullopt);
  Status add_tool_result(const std::string &tool_call_id, std::string result);
  // Tool calls of the last assistant message still waiting for their results.
  size_t pending_tool_results() const noexcept { return pending_.size(); }

  // Fills request.model, messages (system, facts, the history that fits), tools and
  // max_completion_tokens; other request fields are left as they are. FAILED_PRECONDITION while
  // tool results are pending, or when the protected part alone exceeds the budget.
  Result<ConversationBudget> build_request(ChatRequest &request) const;

  const std::vector<ConversationEntry> &history() const noexcept { return history_; }
  int64_t budget() const noexcept { return budget_; }
  const ConversationOptions &options() const noexcept { return options_; }

 private:
  Conversation(ConversationOptions options, std::unique_ptr<tokenizer::ChatTokenCounter> counter,
               int64_t budget);
  Status append(ChatMessage message, bool interrupted);
  int64_t count(const ChatMessage &message) const;
  ChatMessage facts_message() const;

  ConversationOptions options_;
  std::unique_ptr<tokenizer::ChatTokenCounter> counter_;
  int64_t budget_ = 0;
  ChatMessage system_;
  int64_t system_tokens_ = 0;
  std::map<std::string, std::string> facts_;
  int64_t facts_tokens_ = 0;  // 0 while there is no fact
  std::vector<ToolDefinition> tools_;
  int64_t tools_tokens_ = 0;
  std::vector<ConversationEntry> history_;
  std::vector<std::string> pending_;  // ids of tool calls not yet answered
};

}  // namespace voxline
