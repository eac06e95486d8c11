// File: scenario.hpp
// The parsed, validated scenario that scripts the simulator (format: tests/sim/README.md).
// A Scenario is immutable once parsed and shared (shared_ptr<const Scenario>) by every
// connection that started under it. Thread-safety: const access from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/result.hpp"

namespace voxline::sim::detail {

// ---- faults ----------------------------------------------------------------
enum class FaultType {
  kStatus,          // ws: handshake refused with a real HTTP status; http: error response
  kDrop,            // cut the TCP connection (no close frame / no final chunk)
  kStall,           // pause output for stall_ms
  kMalformedJson,   // one text frame / SSE event whose JSON is cut short
  kClose,           // ws: close frame with code + reason
  kGarbageLine,     // sse: a line that is not SSE
  kTruncatedEvent,  // sse: half an event, then the response ends (no [DONE])
  kErrorEvent,      // sse: a JSON {"error":{...}} event mid-stream, then the response ends
  kToolLoop,        // llm: every answer is a tool call, whatever the tool results say
  kNeverFlushed,    // tts: Flush produces audio but never Flushed
};

struct Fault {
  std::string endpoint;  // stt, tts, tts_rest, llm, echo, sse
  FaultType type = FaultType::kDrop;
  int64_t first_n = 0;                    // 0 = every connection/request
  std::optional<int64_t> after_messages;  // messages sent before the fault fires
  std::optional<int64_t> after_ms;        // ms after open/response start
  int64_t stall_ms = 0;
  int status = 0;
  std::string body;                        // status: response body override
  std::optional<std::string> retry_after;  // status: retry-after header value
  std::optional<int64_t> retry_after_ms;   // status: retry-after-ms header value
  std::optional<bool> should_retry;        // status: x-should-retry header
  int close_code = 0;
  std::string close_reason;
  std::string tool_name;  // tool_loop: name to call (default: first tool in the request)
};

// ---- STT ---------------------------------------------------------------------
enum class SttEventType { kSpeechStarted, kInterim, kFinal, kUtteranceEnd };

struct SttEvent {
  int64_t at_ms = 0;  // audio received (ms) at which the event is due
  SttEventType type = SttEventType::kInterim;
  std::string text;
  bool speech_final = false;
  double confidence = 0.95;
  int64_t start_ms = -1;  // final/interim window start; -1 = end of the previous final
  int64_t end_ms = -1;    // final/interim: where its speech (its last word) ends; -1 = at_ms
};

// Sugar for a whole spoken phrase; expanded per connection because the timing of speech_final
// and UtteranceEnd depends on the client's endpointing / utterance_end_ms query parameters.
struct SttUtterance {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::string text;
  int64_t interims = 2;  // interim results spread over [start_ms, end_ms)
  int64_t pieces = 1;    // is_final pieces the text is split into
  bool speech_final = true;
  bool utterance_end = true;
  double confidence = 0.95;
};

struct SttScript {
  std::vector<SttEvent> events;  // sorted by at_ms
  std::vector<SttUtterance> utterances;
  int64_t latency_ms = 0;  // delay between reaching at_ms and sending
  int64_t idle_timeout_ms = 10000;
  bool finalize_empty_reply = false;
  std::string request_id;
  std::string model_name = "general-nova-3";
};

// ---- TTS ---------------------------------------------------------------------
struct TtsScript {
  double ms_per_char = 60.0;         // synthetic speech length per input character
  int64_t chunk_ms = 20;             // audio per binary frame (unless chunk_bytes)
  int64_t chunk_bytes = 0;           // fixed frame size in bytes (overrides chunk_ms)
  double realtime_factor = 0.0;      // 0 = send as fast as possible, 1 = real time, 2 = twice
  int64_t first_audio_delay_ms = 0;  // delay between Flush and the first audio frame
  int64_t flush_limit_per_minute = 20;
  int64_t char_limit_per_minute = 0;  // > 0: Speak text beyond this per 60 s cuts the connection
  std::string waveform = "tone";      // tone | noise | silence
  double tone_hz = 440.0;
  std::string model_name = "aura-2-thalia-en";
};

// ---- LLM ---------------------------------------------------------------------
struct ToolCallSpec {
  std::string id;  // "" = generated
  std::string name;
  std::string arguments;  // JSON text sent (possibly split) as function.arguments
};

struct LlmReply {
  std::optional<std::string> content;
  std::vector<ToolCallSpec> tool_calls;
  std::string finish_reason;  // "" = stop / tool_calls
  std::optional<int64_t> prompt_tokens, completion_tokens;
};

struct LlmWhen {
  std::optional<std::string> last_role;
  std::optional<std::string> last_content_contains;
  std::optional<std::string> any_content_contains;
  std::optional<std::string> model;
  std::optional<bool> has_tools;
  std::optional<bool> stream;
  std::optional<int64_t> request_index;  // n-th request since the scenario was loaded (from 0)
};

struct LlmRule {
  LlmWhen when;
  LlmReply reply;
};

struct LlmScript {
  std::vector<LlmRule> rules;
  LlmReply default_reply;          // content "This is voxline-sim." unless set
  double tokens_per_second = 0.0;  // 0 = no pacing
  int64_t tokens_per_delta = 1;
  int64_t argument_fragment_chars = 6;  // max code points per arguments fragment
  int64_t first_token_delay_ms = 0;
  bool comments = false;                 // ": keep-alive" comment lines between events
  bool crlf = false;                     // CRLF line endings
  bool usage_null = false;               // "usage": null on every non-final chunk
  bool omit_tool_call_index = false;     // tool-call fragments without "index"
  bool reuse_tool_call_index = false;    // every call uses index 0 (Ollama / DeepSeek style)
  bool whole_tool_calls = false;         // each call in one fragment, arguments as a JSON object
  bool azure_empty_first_chunk = false;  // first chunk has "choices": []
  bool validate_tool_pairs = true;       // 400 on unmatched/unanswered tool_call ids
  int64_t split_event_bytes = 0;         // > 0: events written in pieces of this many bytes
};

// ---- generic SSE -------------------------------------------------------------
struct SseEventSpec {
  std::string raw;  // exact bytes to write (already framed)
  int64_t delay_ms = 0;
};

struct SseScript {
  std::vector<SseEventSpec> events;
  int status = 200;
  bool require_auth = false;
  int64_t split_event_bytes = 0;  // > 0: events written in pieces of this many bytes
};

struct Scenario {
  SttScript stt;
  TtsScript tts;
  LlmScript llm;
  SseScript sse;
  bool echo_require_auth = false;
  std::vector<Fault> faults;
};

// Parses and validates `json` (empty = all defaults). INVALID_ARGUMENT names the bad field,
// e.g. "scenario.stt.events[2].at_ms: must be >= 0".
Result<std::shared_ptr<const Scenario>> parse_scenario(std::string_view json);

// Parses a generic SSE script object ({"events":[...],"status":..,"crlf":..}) at `where`.
Result<SseScript> parse_sse_script(std::string_view json, const std::string &where);

}  // namespace voxline::sim::detail
