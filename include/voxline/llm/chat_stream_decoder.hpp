// File: chat_stream_decoder.hpp
// ChatStreamDecoder: turns the data payloads of a streaming chat completion (the `data:` of each
// SSE event, as SseParser yields them) into typed deltas, and accumulates the answer: content,
// refusal, tool calls assembled from their fragments, finish_reason and the final usage
// (OpenAI's chat.completion.chunk stream). No I/O: payloads in, deltas out.
//
// Tool-call fragments are merged by id first, then by index, so servers that omit the index
// (Gemini, old Ollama), reuse it for every call (Ollama, DeepSeek) or send whole calls in one
// chunk assemble the same calls as OpenAI's one-index-per-call stream. Calls are complete once
// finish_reason arrives (ids synthesised where missing, "" arguments become "{}", arguments
// checked as JSON). `"usage": null` on non-final chunks and unknown fields are ignored; an
// "error" object in a chunk fails the stream with that API error (status_from_error_value).
//
//   ChatStreamDecoder dec;
//   ChatStreamDelta d;
//   for (const SseEvent &e : events) {
//     VOXLINE_RETURN_IF_ERROR(dec.feed(e.data, d));
//     if (!d.content.empty()) speak(d.content);
//   }
//   VOXLINE_RETURN_IF_ERROR(dec.finish());   // at end of input: truncated unless [DONE] + finish_reason
//   run_tools(dec.completion().tool_calls);
//
// Hot path: the chunk is parsed into buffers the decoder keeps (json::ReusableParser); only the
// accumulated output (content, refusal, arguments) grows, and reset() keeps its capacity.
// Ownership: the views in a ChatStreamDelta point into the decoder and stay valid until the next
// feed() or reset(). Thread-safety: one thread at a time per decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/json.hpp"
#include "voxline/core/status.hpp"
#include "voxline/llm/chat_response.hpp"

namespace voxline {

// What one payload carried.
struct ChatStreamDelta {
  std::string_view content;        // text added to the answer by this payload, "" if none
  std::string_view refusal;        // refusal text added by this payload, "" if none
  size_t tool_call_fragments = 0;  // tool-call fragments merged from this payload
  bool finished = false;           // this payload carried the finish_reason
  bool usage = false;              // this payload carried the usage object
  bool done = false;               // the payload was [DONE]
};

struct ChatStreamDecoderOptions {
  size_t max_payload_bytes = 1u << 20;    // a larger payload is PROTOCOL_ERROR
  size_t max_output_bytes = 4u << 20;     // content + refusal + arguments; more is PROTOCOL_ERROR
  size_t max_tool_calls = 128;            // more calls in one answer is PROTOCOL_ERROR
  size_t parser_buffer_bytes = 8u << 10;  // DOM buffer; chunks needing more borrow heap chunks
};

// The detail of the Status finish() returns for a stream that ended early.
class VOXLINE_API ChatStreamTruncated final : public StatusDetail {
 public:
  ChatStreamTruncated(bool saw_done, bool saw_finish_reason)
      : saw_done(saw_done), saw_finish_reason(saw_finish_reason) {}
  std::string describe() const override;
  const bool saw_done;
  const bool saw_finish_reason;
};

class VOXLINE_API ChatStreamDecoder {
 public:
  explicit ChatStreamDecoder(ChatStreamDecoderOptions options = {});

  // Decodes one payload into `out` (overwritten). PROTOCOL_ERROR for malformed JSON, a mistyped
  // known field, data after [DONE], fragments or text after finish_reason, or a limit; an
  // "error" object, or an SSE event named "error" (`event`, SseEvent::event), gives that API
  // error. After an error every feed() returns the same error until reset().
  Status feed(std::string_view data, ChatStreamDelta &out, std::string_view event = "message");

  // Call at end of input. OK when [DONE] and a finish_reason arrived; otherwise PROTOCOL_ERROR
  // "truncated chat stream ..." carrying a ChatStreamTruncated, never a normal end. After a
  // feed() error, that error.
  Status finish() const;

  // True once [DONE] arrived.
  bool done() const noexcept { return done_; }
  // The answer so far. tool_calls are complete only once finish_reason arrived.
  const ChatCompletion &completion() const noexcept { return completion_; }
  // Moves the answer out (the decoder must be reset() before it decodes another stream).
  ChatCompletion take_completion() { return std::move(completion_); }

  // Forgets the stream, keeping the capacity of its buffers.
  void reset();

 private:
  Status decode(const json::Value &chunk, ChatStreamDelta &out);
  Status decode_choice(const json::Value &choice, ChatStreamDelta &out);
  Status merge_fragment(const json::Value &fragment, size_t position);
  Status open_call(size_t *slot);
  Status append_text(const json::Value &delta, const char *key, std::string &dst, std::string_view &view);
  Status grow(size_t bytes);
  void complete_calls();
  Status fail(Status s);

  ChatStreamDecoderOptions options_;
  std::unique_ptr<json::ReusableParser> parser_;
  ChatCompletion completion_;
  std::vector<std::pair<int64_t, size_t>> by_index_;  // fragment index -> slot in tool_calls
  size_t last_opened_ = 0;
  size_t output_bytes_ = 0;
  bool done_ = false;
  Status error_;
};

}  // namespace voxline
