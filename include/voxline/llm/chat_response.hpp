// File: chat_response.hpp
// What an OpenAI-compatible server answers: the non-streaming `chat.completion` body
// (choices[0].message, finish_reason, usage), the types the streaming decoder fills too
// (ChatCompletion, ReceivedToolCall, Usage, FinishReason), and the `{"error":{...}}` body of a
// failed request turned into a Status that carries the HTTP status, type, code, param, message
// and x-request-id. Pure code: no sockets, no HTTP.
//
//   VOXLINE_ASSIGN_OR_RETURN(ChatCompletion c, parse_chat_completion(body));
//   for (const ReceivedToolCall &call : c.tool_calls) if (!call.arguments_error.empty()) ...
//
//   Status s = status_from_error_body(429, body, request_id);  // RATE_LIMITED
//   if (const LlmApiError *e = s.detail_as<LlmApiError>()) if (e->code == "insufficient_quota") ...
//
// Secrets: the server's text (message, type, code, param) passes the default logger's Redactor
// before it reaches a Status message or an LlmApiError, the way net's status_from_http masks an
// error body: a key echoed back in a quoted 401 message is masked.
// Ownership: plain values. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/json.hpp"
#include "voxline/core/result.hpp"
#include "voxline/llm/chat_request.hpp"

namespace voxline {

enum class FinishReason {
  kNone,           // not (yet) given
  kStop,           // natural end or a stop sequence
  kToolCalls,      // the model called tools
  kLength,         // max_completion_tokens reached: the last tool call's JSON is probably cut
  kContentFilter,  // output withheld by the provider's filter
  kFunctionCall,   // deprecated functions API
  kOther,          // a value this version does not know (kept in ChatCompletion::finish_reason_text)
};

// "none", "stop", "tool_calls", "length", "content_filter", "function_call", "other".
VOXLINE_API const char *finish_reason_name(FinishReason reason) noexcept;
// The reason a server's text names; kOther for unknown text.
VOXLINE_API FinishReason finish_reason_from(std::string_view text) noexcept;

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
  int64_t cached_tokens = 0;     // prompt_tokens_details.cached_tokens, 0 when absent
  int64_t reasoning_tokens = 0;  // completion_tokens_details.reasoning_tokens, 0 when absent

  friend bool operator==(const Usage &a, const Usage &b) {
    return a.prompt_tokens == b.prompt_tokens && a.completion_tokens == b.completion_tokens &&
           a.total_tokens == b.total_tokens && a.cached_tokens == b.cached_tokens &&
           a.reasoning_tokens == b.reasoning_tokens;
  }
};

// A complete tool call from a response. An empty argument string became "{}"; a missing id was
// replaced by a fresh "call_vx..." one (id_synthesized). arguments_error is empty when
// `arguments` is a JSON object, else says why not: send the tool an error result, never crash.
struct ReceivedToolCall : ToolCall {
  bool id_synthesized = false;
  std::string arguments_error;
};

struct ChatCompletion {
  std::string id;     // the first non-empty id the server sent
  std::string model;  // the first non-empty model the server sent
  std::string content;
  std::string refusal;
  std::vector<ReceivedToolCall> tool_calls;  // in the order the calls were opened
  FinishReason finish_reason = FinishReason::kNone;
  std::string finish_reason_text;  // as the server wrote it
  std::optional<Usage> usage;
};

// Parses a non-streaming `chat.completion` body (choice 0). PROTOCOL_ERROR naming the field for
// malformed JSON or a mistyped known field; unknown fields are ignored. A body holding an
// "error" object gives that error (status_from_error_body with HTTP status 200).
VOXLINE_API Result<ChatCompletion> parse_chat_completion(std::string_view body);

// Reads a "usage" object into `out`. PROTOCOL_ERROR naming the field when mistyped.
VOXLINE_API Status parse_usage(const json::Value &usage, Usage &out);

// Completes a tool call assembled from a response: synthesises a missing id, turns "" arguments
// into "{}" and checks that the arguments are a JSON object (setting arguments_error if not).
VOXLINE_API void finish_tool_call(ReceivedToolCall &call);

// The fields of a server's error body (secrets masked), attached to the Status of a failed request.
class VOXLINE_API LlmApiError final : public StatusDetail {
 public:
  int http_status = 0;     // 0: an error object inside a 200 stream
  std::string type;        // e.g. "invalid_request_error", "" when absent
  std::string code;        // e.g. "rate_limit_exceeded"; an integer code as its decimal text
  std::string param;       // e.g. "messages", "" when absent
  std::string message;     // the server's message (or its raw body when it sent no JSON error)
  std::string request_id;  // the x-request-id response header, "" when absent

  // "HTTP 429 type=tokens code=rate_limit_exceeded request_id=req_1: Rate limit reached ..."
  std::string describe() const override;
};

// The Status for a failed request: the code follows the HTTP status as net's status_from_http
// maps it (429 RATE_LIMITED, 401/403 UNAUTHENTICATED, 5xx UNAVAILABLE, ...), the message is
// LlmApiError::describe(), cut to Status::kMaxExternalBytes, and the detail is the LlmApiError.
// Reads body.error when present, else the fields at the top level (older vLLM); a body that is
// no JSON error at all becomes the message. `http_status` outside 400..599 (an error inside a
// stream) gives UNAVAILABLE.
VOXLINE_API Status status_from_error_body(int http_status, std::string_view body,
                                          std::string_view request_id);
// The same for an already parsed error object (the value of "error", or the body itself).
VOXLINE_API Status status_from_error_value(int http_status, const json::Value &error,
                                           std::string_view request_id);

}  // namespace voxline
