// File: llm_client.hpp
// LlmClient: chat completions from an OpenAI-compatible server, streamed over SSE or in one
// answer, on the caller's Runtime slot. make_openai_client() gives the implementation for OpenAI,
// Azure OpenAI, vLLM, Ollama and voxline-sim (the LlmEndpoint says which). The agent turn talks
// to the interface, so tests and other providers can stand in for it.
//
//   LlmClientOptions o;
//   o.endpoint = *parse_llm_endpoint(R"({"base_url":"https://api.openai.com/v1","model":"gpt-4o",
//                                        "api_key":"sk-..."})");
//   std::unique_ptr<LlmClient> llm = make_openai_client(o, &runtime->metrics());
//   llm->prewarm(*slot);                                   // at session start: TLS before turn 1
//   auto turn = llm->stream(slot, request, handler);       // Result<shared_ptr<LlmStream>>
//   (*turn)->cancel();                                     // barge-in, from any thread
//
// Events: on_delta for each payload that added something (content, refusal, tool-call fragments,
// finish_reason, usage), then exactly one on_complete. The one-shot form (complete()) delivers
// only on_complete. Every callback runs on `slot`'s thread, in order, never inside stream(),
// complete() or cancel(); they must not block (see slot.hpp).
// Outcomes (LlmResult::status):
//   OK                 a whole answer: [DONE] after a finish_reason (streaming), or a parsed body;
//   CANCELLED          cancel() was called (LlmResult::cancelled; never a failure, never retried);
//   PROTOCOL_ERROR     malformed SSE or JSON, or a stream cut short (truncated: no [DONE] or no
//                      finish_reason) — never reported as a normal end;
//   RATE_LIMITED, UNAUTHENTICATED, INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE, ...
//                      the server's {"error":{...}} (an LlmApiError detail with status, type, code,
//                      param and x-request-id), after the retries the policy allowed;
//   TIMEOUT            no response head within first_byte, or a gap longer than idle.
// Retries: 408, 409, 429, 5xx and connection failures are retried with backoff on the slot's
// timers (retry-after, retry-after-ms and x-should-retry honoured, capped), only before the first
// byte of the answer; 400, 401, 403 and 404 fail at once.
// Cancellation: the HTTP stream is aborted at once; on HTTP/2 only that stream is reset and the
// connection stays for the next turn.
// Metrics (in the registry given to make_openai_client, names resolved once):
//   voxline_llm_requests_total, voxline_llm_errors_total{code}, voxline_llm_retries_total,
//   voxline_llm_cancelled_total, voxline_llm_time_to_first_token_ms, voxline_llm_tokens_total{kind:
//   prompt|completion}, voxline_llm_token_count_error_pct (predicted prompt tokens against the
//   server's usage.prompt_tokens, per request that carried LlmCallOptions::predicted_prompt_tokens).
// Secrets: the API key is registered with the logger's Redactor at creation and never logged.
// Lifetime: a stream may outlive its client (it keeps what it needs); the MetricsRegistry must
// outlive both. A stream's handler is dropped after on_complete returns. Views in callbacks are
// valid only during the call.
// Thread-safety: every LlmClient and LlmStream method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "voxline/core/clock.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"
#include "voxline/llm/chat_request.hpp"
#include "voxline/llm/chat_response.hpp"
#include "voxline/llm/chat_stream_decoder.hpp"
#include "voxline/llm/llm_endpoint.hpp"
#include "voxline/net/http_stream.hpp"
#include "voxline/net/retry_policy.hpp"

namespace voxline {

class Logger;
class MetricsRegistry;
class Slot;

struct LlmClientOptions {
  LlmEndpoint endpoint;
  RetryOptions retry;  // attempts in total and backoff bounds (409 is retried too)
  Duration max_total_retry_delay = std::chrono::seconds(20);
  Duration connect_timeout = std::chrono::seconds(10);
  Duration first_byte_timeout = std::chrono::seconds(30);  // request sent -> response head
  Duration idle_timeout = std::chrono::seconds(15);        // gap between two chunks of a stream
  Duration total_timeout = std::chrono::minutes(5);        // one whole request (0 = off)
  ChatStreamDecoderOptions decoder;
  Logger *logger = nullptr;  // nullptr = default_logger()
};

struct LlmCallOptions {
  // The prompt tokens the caller counted (Conversation, exact tokenizer); compared with the
  // server's usage.prompt_tokens for the token-count accuracy metric. < 0 = not counted.
  int64_t predicted_prompt_tokens = -1;
};

struct LlmResult {
  Status status;           // see "Outcomes" above
  bool cancelled = false;  // status is CANCELLED because cancel() was called
  // What arrived: the whole answer on OK; on an error or a cancel, the part the caller saw.
  ChatCompletion completion;
  std::string request_id;      // x-request-id, "" when the server sent none
  int http_status = 0;         // of the last attempt; 0 when none answered
  int http_version = 0;        // 11 or 20; 0 when no response arrived
  int attempts = 0;            // requests made, retries included
  int connections_opened = 0;  // by the last attempt: 0 when it used a pooled (or prewarmed) one
  // Request start to the first content, refusal or tool-call fragment; negative when none came.
  Duration time_to_first_token = Duration(-1);
};

class LlmStream;

class VOXLINE_API LlmStreamHandler {
 public:
  virtual ~LlmStreamHandler() = default;
  // One payload's additions; `so_far` is the answer accumulated until now (its tool_calls are
  // complete only once delta.finished). Views die when the call returns.
  virtual void on_delta(LlmStream &stream, const ChatStreamDelta &delta, const ChatCompletion &so_far) {
    (void)stream;
    (void)delta;
    (void)so_far;
  }
  // Exactly once. `result` may be moved from.
  virtual void on_complete(LlmStream &stream, LlmResult &result) = 0;
};

class VOXLINE_API LlmStream {
 public:
  virtual ~LlmStream() = default;
  // Aborts the request (or the wait before a retry): on_complete with CANCELLED follows on the
  // slot thread, unless the stream already completed. Idempotent.
  virtual void cancel() = 0;
  // True once on_complete has returned.
  virtual bool done() const = 0;
};

class VOXLINE_API LlmClient {
 public:
  virtual ~LlmClient() = default;
  // Starts a streaming completion of `request` on `slot` (request.stream and include_usage are
  // set by the client). INVALID_ARGUMENT when the request cannot be rendered (the server would
  // refuse it), QUEUE_FULL or FAILED_PRECONDITION from the slot; every other outcome arrives
  // through `handler`.
  virtual Result<std::shared_ptr<LlmStream>> stream(const std::shared_ptr<Slot> &slot,
                                                    const ChatRequest &request,
                                                    std::shared_ptr<LlmStreamHandler> handler,
                                                    const LlmCallOptions &call = {}) = 0;
  // The same request answered in one body (stream: false): on_complete only.
  virtual Result<std::shared_ptr<LlmStream>> complete(const std::shared_ptr<Slot> &slot,
                                                      const ChatRequest &request,
                                                      std::shared_ptr<LlmStreamHandler> handler,
                                                      const LlmCallOptions &call = {}) = 0;
  // Opens the connection (TCP, TLS, ALPN) to the endpoint on `slot` so the first turn pays no
  // handshake. Never blocks; a failure is logged and counted, and the first request connects.
  virtual Status prewarm(Slot &slot) = 0;
  virtual const LlmEndpoint &endpoint() const noexcept = 0;
};

// The OpenAI-compatible client. INVALID_ARGUMENT for an endpoint without base_url or model.
// `metrics` nullptr = MetricsRegistry::global().
VOXLINE_API Result<std::unique_ptr<LlmClient>> make_openai_client(LlmClientOptions options,
                                                                  MetricsRegistry *metrics = nullptr);

}  // namespace voxline
