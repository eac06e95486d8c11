// File: chat_tokens.hpp
// Prompt-token accounting for chat completions the way OpenAI's cookbook counts them
// (How_to_count_tokens_with_tiktoken.ipynb, sections 6 and 7; ENCODINGS.md sections 7-8):
//   messages: sum over messages of (tokens_per_message + tokens of every string field
//             [role, content, name, tool_call_id] + tokens_per_name if it has a name) + reply priming
//   tools:    per tool func_init + tokens("name:description") [+ prop_init + per property prop_key
//             (+ enum_init + per item enum_item + tokens(item)) + tokens("key:type:description")],
//             then func_end once if there is any tool (descriptions lose one trailing '.').
// The cookbook checked this against the API: 124 / 129 tokens for its six-message example on
// gpt-4o / gpt-4, and 101 / 105 with its get_current_weather tool. It is an estimate OpenAI may
// change per model; use it for budgeting and history trimming, use the API's usage for billing.
// Not modelled by the cookbook, counted here as an estimate: assistant tool_calls (tokens of each
// call's id, function name and arguments) and tool messages' tool_call_id (an encoded field).
// Field values are counted with encode_ordinary: special-token text in a message is ordinary text,
// as the API treats it.
//
//   VOXLINE_ASSIGN_OR_RETURN(auto counter, tokenizer::ChatTokenCounter::for_model("gpt-4o"));
//   size_t prompt = counter->count_prompt(messages, tools);  // grows cheaply as messages are added
//
// Caching: each message's (and each tool's) count is cached under its exact contents (no hashes
// that could collide), so recounting a growing conversation only encodes the new or changed
// messages. The cache is bounded (entries and bytes) and evicts least recently used entries.
// Thread-safety: every ChatTokenCounter method may be called from any thread (internal mutex,
// encoding runs outside it). Lifetime: the counter refers to an Encoding that must outlive it (the
// built-in encodings live for the whole process).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/json.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/thread_annotations.hpp"
#include "voxline/tokenizer/encoding.hpp"

namespace voxline::tokenizer {

struct ChatToolCall {
  std::string id;
  std::string name;       // function name
  std::string arguments;  // JSON text as the model produced it
};

struct ChatMessage {
  std::string role;
  std::string content;
  std::optional<std::string> name;
  std::vector<ChatToolCall> tool_calls;     // assistant messages that call tools
  std::optional<std::string> tool_call_id;  // role "tool"
};

struct ToolProperty {
  std::string name;
  std::string type;
  std::string description;
  std::optional<std::vector<std::string>> enum_values;  // present (even empty) adds enum_init
};

struct ToolDefinition {
  std::string name;
  std::string description;
  std::vector<ToolProperty> properties;  // top-level properties of the parameters object
};

// The cookbook's constants for one model family.
struct ChatFormat {
  int tokens_per_message = 3;
  int tokens_per_name = 1;
  int reply_priming = 3;  // <|start|>assistant<|message|>
  int func_init = 7;
  int prop_init = 3;
  int prop_key = 3;
  int enum_init = -3;
  int enum_item = 3;
  int func_end = 12;

  static ChatFormat gpt_4o() { return ChatFormat{}; }  // o200k_base models
  static ChatFormat gpt_4() {                          // gpt-4 / gpt-3.5-turbo (cl100k_base)
    ChatFormat f;
    f.func_init = 10;
    return f;
  }
};

// Format for a model: gpt-3.5-turbo-0301 uses 4 per message and -1 per name; other cl100k_base
// models gpt_4(); o200k_base models gpt_4o(). Unknown model: NOT_FOUND (see encoding_for_model).
VOXLINE_API Result<ChatFormat> chat_format_for_model(std::string_view model);

// OpenAI request JSON -> structs. `messages`: array of {role, content (string, null, or array of
// {type:"text", text} parts, concatenated), name?, tool_calls?: [{id, function:{name, arguments}}],
// tool_call_id?}. `tools`: array of {type:"function", function:{name, description?, parameters?:
// {properties?: {key: {type?, description?, enum?}}}}}. INVALID_ARGUMENT naming the bad element.
VOXLINE_API Result<std::vector<ChatMessage>> chat_messages_from_json(const json::Value &messages);
VOXLINE_API Result<std::vector<ToolDefinition>> tool_definitions_from_json(const json::Value &tools);

struct ChatCounterStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  size_t entries = 0;
  size_t bytes = 0;
};

// Bounds of a ChatTokenCounter's cache.
struct ChatCounterLimits {
  size_t max_entries = 4096;
  size_t max_bytes = 8u << 20;  // cached keys (message contents) in bytes
};

class VOXLINE_API ChatTokenCounter {
 public:
  using Limits = ChatCounterLimits;

  ChatTokenCounter(const Encoding &encoding, ChatFormat format, Limits limits);
  ChatTokenCounter(const Encoding &encoding, ChatFormat format)
      : ChatTokenCounter(encoding, format, Limits{}) {}
  // Built-in encoding and format for `model`; NOT_FOUND for an unknown model.
  static Result<std::unique_ptr<ChatTokenCounter>> for_model(std::string_view model, Limits limits = {});

  // One message: tokens_per_message + its fields (+ tokens_per_name); no reply priming.
  int64_t count_message(const ChatMessage &message);
  // All messages plus the reply priming.
  int64_t count_messages(const std::vector<ChatMessage> &messages);
  // One tool without func_end / all tools with func_end (0 for none).
  int64_t count_tool(const ToolDefinition &tool);
  int64_t count_tools(const std::vector<ToolDefinition> &tools);
  // count_messages + count_tools: the prompt_tokens estimate of a request.
  int64_t count_prompt(const std::vector<ChatMessage> &messages, const std::vector<ToolDefinition> &tools);

  const Encoding &encoding() const noexcept { return encoding_; }
  const ChatFormat &format() const noexcept { return format_; }
  ChatCounterStats stats() const;
  void clear_cache();

 private:
  int64_t cached(const std::string &key, int64_t (ChatTokenCounter::*compute)(const void *) const,
                 const void *item);
  int64_t compute_message(const void *message) const;
  int64_t compute_tool(const void *tool) const;
  int64_t tokens(std::string_view text) const;

  const Encoding &encoding_;
  const ChatFormat format_;
  const Limits limits_;

  mutable Mutex mu_;
  // LRU: most recent at the front; the map's keys are the exact serialised contents.
  std::list<std::pair<std::string, int64_t>> lru_ VOXLINE_GUARDED_BY(mu_);
  std::unordered_map<std::string_view, std::list<std::pair<std::string, int64_t>>::iterator> index_
      VOXLINE_GUARDED_BY(mu_);
  size_t bytes_ VOXLINE_GUARDED_BY(mu_) = 0;
  uint64_t hits_ VOXLINE_GUARDED_BY(mu_) = 0;
  uint64_t misses_ VOXLINE_GUARDED_BY(mu_) = 0;
};

}  // namespace voxline::tokenizer
