// File: chat_request.hpp
// ChatRequest: a typed OpenAI Chat Completions request (messages, tools, options) and its
// rendering to the exact JSON body `POST {base}/chat/completions` takes. Where
// and how to send it is an LlmEndpoint (llm_endpoint.hpp). Pure code: no sockets, no HTTP.
//
//   ChatRequest req;
//   req.model = endpoint.model;
//   req.messages = {ChatMessage::system("You are ..."), ChatMessage::user("Hi")};
//   req.stream = true;
//   req.include_usage = true;
//   std::string body;
//   VOXLINE_RETURN_IF_ERROR(render_chat_request(req, body, endpoint.render_options()));
//
// Rendering validates what the server would refuse with 400: a tool message that answers no
// pending tool call, an assistant tool call left unanswered, a tool name outside
// [a-zA-Z0-9_-]{1,64}, a parameters schema that is not a JSON object, out-of-range options.
//
// Ownership: plain values. Thread-safety: pure functions; a value is used by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"

namespace voxline {

enum class ChatRole { kSystem, kDeveloper, kUser, kAssistant, kTool };

// "system", "developer", "user", "assistant", "tool".
VOXLINE_API const char *chat_role_name(ChatRole role) noexcept;

// One function call the model asked for. `arguments` is the JSON-encoded string exactly as the
// model produced it; replay it unchanged.
struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;

  friend bool operator==(const ToolCall &a, const ToolCall &b) {
    return a.id == b.id && a.name == b.name && a.arguments == b.arguments;
  }
};

struct ChatMessage {
  ChatRole role = ChatRole::kUser;
  // nullopt renders "content": null, allowed only on an assistant message with tool_calls.
  std::optional<std::string> content;
  std::string name;                  // optional participant name (system/user/assistant); "" = none
  std::vector<ToolCall> tool_calls;  // assistant only
  std::string tool_call_id;          // tool only: the call this message answers

  static ChatMessage system(std::string text);
  static ChatMessage developer(std::string text);
  static ChatMessage user(std::string text);
  static ChatMessage assistant(std::string text);
  // An assistant turn that called tools; `text` is any content that came before the calls.
  static ChatMessage assistant_tool_calls(std::vector<ToolCall> calls,
                                          std::optional<std::string> text = std::nullopt);
  static ChatMessage tool(std::string tool_call_id, std::string result);
};

struct ToolDefinition {
  std::string name;             // [a-zA-Z0-9_-], 1..64 chars
  std::string description;      // "" = omitted
  std::string parameters_json;  // a JSON Schema object as text; "" = no arguments (omitted)
  std::optional<bool> strict;   // Structured Outputs; nullopt = omitted
};

struct ToolChoice {
  enum class Kind { kUnset, kNone, kAuto, kRequired, kFunction };
  Kind kind = Kind::kUnset;  // kUnset omits the field (server default)
  std::string function;      // kFunction: the tool that must be called

  static ToolChoice none() { return {Kind::kNone, {}}; }
  static ToolChoice automatic() { return {Kind::kAuto, {}}; }
  static ToolChoice required() { return {Kind::kRequired, {}}; }
  static ToolChoice named(std::string fn) { return {Kind::kFunction, std::move(fn)}; }
};

struct ResponseFormat {
  enum class Kind { kUnset, kText, kJsonObject, kJsonSchema };
  Kind kind = Kind::kUnset;
  std::string schema_name;     // kJsonSchema: [a-zA-Z0-9_-], 1..64 chars
  std::string schema_json;     // kJsonSchema: a JSON Schema object as text
  std::optional<bool> strict;  // kJsonSchema only
};

struct ChatRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  std::vector<ToolDefinition> tools;
  ToolChoice tool_choice;
  std::optional<bool> parallel_tool_calls;       // only with tools
  std::optional<double> temperature;             // 0..2
  std::optional<int64_t> max_completion_tokens;  // > 0
  ResponseFormat response_format;
  std::string user;  // end-user id for abuse monitoring; "" = omitted
  std::optional<int64_t> seed;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage; requires stream
};

// What a server accepts beyond the OpenAI shape (some compatible servers only
// know max_tokens, or reject stream_options / parallel_tool_calls).
struct ChatRenderOptions {
  bool legacy_max_tokens = false;        // send "max_tokens" instead of "max_completion_tokens"
  bool send_stream_options = true;       // false drops stream_options (include_usage)
  bool send_parallel_tool_calls = true;  // false drops parallel_tool_calls
};

// Replaces `out` with the JSON body of `request` (compact, fields in a fixed order: model,
// stream, stream_options, options, messages, tools). INVALID_ARGUMENT naming the message index or
// field when the request would be refused by the server; `out` is then unspecified. Reuses the
// capacity of `out`.
VOXLINE_API Status render_chat_request(const ChatRequest &request, std::string &out,
                                       const ChatRenderOptions &options = {});

}  // namespace voxline
