// The OpenAI-compatible LlmClient (see llm_client.hpp): a ChatRequest rendered once, sent by
// RetryDriver on the caller's slot, the SSE body decoded chunk by chunk into deltas.
#include "voxline/llm/llm_client.hpp"

#include <atomic>
#include <cmath>
#include <mutex>
#include <utility>
#include <vector>

#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/retry_driver.hpp"
#include "voxline/net/slot.hpp"
#include "voxline/net/sse_parser.hpp"

namespace voxline {
namespace {

// Instruments resolved once per client: nothing is looked up by name per chunk.
struct LlmMetrics {
  MetricsRegistry *registry;
  Counter *requests, *retries, *cancelled, *prompt_tokens, *completion_tokens;
  Histogram *ttft_ms, *token_error_pct;

  explicit LlmMetrics(MetricsRegistry &m)
      : registry(&m),
        requests(&m.counter("voxline_llm_requests_total", "Chat completion requests started")),
        retries(&m.counter("voxline_llm_retries_total", "Chat completion attempts retried")),
        cancelled(&m.counter("voxline_llm_cancelled_total", "Chat completions cancelled (barge-in)")),
        prompt_tokens(
            &m.counter("voxline_llm_tokens_total", "Tokens the server counted", {{"kind", "prompt"}})),
        completion_tokens(
            &m.counter("voxline_llm_tokens_total", "Tokens the server counted", {{"kind", "completion"}})),
        ttft_ms(
            &m.histogram("voxline_llm_time_to_first_token_ms", "Request start to the first answer fragment")),
        token_error_pct(&m.histogram("voxline_llm_token_count_error_pct",
                                     "|predicted - usage.prompt_tokens| / usage.prompt_tokens, in percent",
                                     {0, 0.5, 1, 2, 5, 10, 25, 50, 100})) {}

  // Per failed request (rare), so a lookup here is fine.
  void error(StatusCode code) {
    registry
        ->counter("voxline_llm_errors_total", "Chat completions that failed",
                  {{"code", status_code_name(code)}})
        .inc();
  }
};

class OpenAiStream final : public LlmStream,
                           public HttpStreamHandler,
                           private SseEventSink,
                           public std::enable_shared_from_this<OpenAiStream> {
 public:
  OpenAiStream(std::shared_ptr<LlmStreamHandler> handler, bool streaming, const LlmClientOptions &o,
               std::shared_ptr<LlmMetrics> metrics, LlmCallOptions call)
      : handler_(std::move(handler)),
        streaming_(streaming),
        parser_(SseParserOptions{o.decoder.max_payload_bytes}),
        decoder_(o.decoder),
        max_body_bytes_(o.decoder.max_output_bytes + o.decoder.max_payload_bytes),
        metrics_(std::move(metrics)),
        call_(call),
        started_(std::chrono::steady_clock::now()) {}

  // Called once by the client after RetryDriver::start returned the handle.
  void attach(std::shared_ptr<HttpStream> http) {
    std::lock_guard<std::mutex> lock(mu_);
    http_ = std::move(http);
    if (cancel_requested_.load()) http_->cancel();  // cancel() came before the handle existed
  }

  void cancel() override {
    cancel_requested_.store(true);
    std::shared_ptr<HttpStream> h;
    {
      std::lock_guard<std::mutex> lock(mu_);
      h = http_;
    }
    if (h) h->cancel();
  }

  bool done() const override { return done_.load(); }

  void on_data(HttpStream &http, std::string_view chunk) override {
    if (cancel_requested_.load() || !local_error_.ok()) return;
    if (!streaming_) {
      if (body_.size() + chunk.size() > max_body_bytes_)
        return fail_locally(http, protocol_error("chat completion body exceeds " +
                                                 std::to_string(max_body_bytes_) + " bytes"));
      body_.append(chunk);
      return;
    }
    feeding_ = &http;
    Status s = parser_.feed(chunk, static_cast<SseEventSink &>(*this));  // events arrive in on_sse_event
    feeding_ = nullptr;
    if (!s.ok() && local_error_.ok() && !cancel_requested_.load()) fail_locally(http, std::move(s));
  }

  // One SSE event of the chunk being fed: decoded and delivered in place (no copy of the event).
  bool on_sse_event(const SseEvent &e) override {
    Status d = decoder_.feed(e.data, delta_);
    if (!d.ok()) {
      fail_locally(*feeding_, std::move(d));
      return false;
    }
    if (!delta_.content.empty() || !delta_.refusal.empty() || delta_.tool_call_fragments > 0)
      note_first_token();
    if (handler_) handler_->on_delta(*this, delta_, decoder_.completion());
    return !cancel_requested_.load();  // the handler cancelled: nothing more reaches it
  }

  void on_complete(HttpStream &, const HttpCompletion &c) override {
    LlmResult r;
    r.attempts = c.attempts;
    r.http_status = c.http_status;
    r.http_version = c.http_version;
    r.connections_opened = c.connections_opened;
    if (auto id = find_header(c.headers, "x-request-id")) r.request_id = std::string(*id);
    r.time_to_first_token = first_token_;
    if (cancel_requested_.load()) {
      r.status = cancelled("chat completion cancelled");
      r.cancelled = true;
    } else if (!local_error_.ok()) {
      r.status = local_error_;
    } else if (c.status.ok()) {
      r.status = finish_body();
    } else if (c.http_status >= 400) {
      r.status = status_from_error_body(c.http_status, c.error_body, r.request_id);
    } else {
      r.status = c.status;  // transport failure or timeout (first_byte, idle, total)
    }
    if (streaming_) {
      r.completion = decoder_.take_completion();
    } else {
      r.completion = std::move(parsed_);
    }
    record(r);
    done_.store(true);
    std::shared_ptr<LlmStreamHandler> h = std::move(handler_);
    if (h) h->on_complete(*this, r);
  }

 private:
  // A decoding failure ends the request at once; on_complete reports it.
  void fail_locally(HttpStream &http, Status s) {
    local_error_ = std::move(s);
    http.cancel();
  }

  Status finish_body() {
    if (streaming_) {
      if (parser_.has_partial_event())
        return protocol_error("chat stream ended inside an SSE event (truncated)");
      return decoder_.finish();
    }
    auto parsed = parse_chat_completion(body_);
    if (!parsed.ok()) return parsed.status();
    parsed_ = std::move(*parsed);
    if (!parsed_.content.empty() || !parsed_.tool_calls.empty()) note_first_token();
    return Status::Ok();
  }

  void note_first_token() {
    if (first_token_ >= Duration::zero()) return;
    first_token_ = std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - started_);
    metrics_->ttft_ms->observe(std::chrono::duration<double, std::milli>(first_token_).count());
  }

  void record(const LlmResult &r) {
    if (r.attempts > 1) metrics_->retries->inc(static_cast<uint64_t>(r.attempts - 1));
    if (r.cancelled) {
      metrics_->cancelled->inc();
    } else if (!r.status.ok()) {
      metrics_->error(r.status.code());
    }
    if (!r.completion.usage) return;
    const Usage &u = *r.completion.usage;
    metrics_->prompt_tokens->inc(static_cast<uint64_t>(std::max<int64_t>(0, u.prompt_tokens)));
    metrics_->completion_tokens->inc(static_cast<uint64_t>(std::max<int64_t>(0, u.completion_tokens)));
    if (call_.predicted_prompt_tokens >= 0 && u.prompt_tokens > 0) {
      const double err = std::fabs(static_cast<double>(call_.predicted_prompt_tokens - u.prompt_tokens)) *
                         100.0 / static_cast<double>(u.prompt_tokens);
      metrics_->token_error_pct->observe(err);
    }
  }

  std::shared_ptr<LlmStreamHandler> handler_;  // slot thread only; dropped after on_complete
  const bool streaming_;
  SseParser parser_;
  ChatStreamDecoder decoder_;
  HttpStream *feeding_ = nullptr;  // the stream whose chunk is being fed (on_data only)
  ChatStreamDelta delta_;
  std::string body_;  // the one-shot form's body
  const size_t max_body_bytes_;
  ChatCompletion parsed_;
  Status local_error_;
  std::shared_ptr<LlmMetrics> metrics_;  // shared: a stream may end after its client is gone
  const LlmCallOptions call_;
  const SteadyTime started_;
  Duration first_token_ = Duration(-1);
  std::atomic<bool> cancel_requested_{false}, done_{false};
  std::mutex mu_;  // guards http_: cancel() may come from any thread, even before attach()
  std::shared_ptr<HttpStream> http_;
};

class OpenAiClient final : public LlmClient {
 public:
  OpenAiClient(LlmClientOptions o, MetricsRegistry &m)
      : options_(std::move(o)), metrics_(std::make_shared<LlmMetrics>(m)) {
    options_.retry.retry_conflict = true;  // OpenAI's 409 is a lock timeout: its SDKs retry it
  }

  Result<std::shared_ptr<LlmStream>> stream(const std::shared_ptr<Slot> &slot, const ChatRequest &request,
                                            std::shared_ptr<LlmStreamHandler> handler,
                                            const LlmCallOptions &call) override {
    return start(slot, request, std::move(handler), call, true);
  }

  Result<std::shared_ptr<LlmStream>> complete(const std::shared_ptr<Slot> &slot, const ChatRequest &request,
                                              std::shared_ptr<LlmStreamHandler> handler,
                                              const LlmCallOptions &call) override {
    return start(slot, request, std::move(handler), call, false);
  }

  Status prewarm(Slot &slot) override { return slot.preconnect(options_.endpoint.chat_completions_url()); }

  const LlmEndpoint &endpoint() const noexcept override { return options_.endpoint; }

 private:
  Result<std::shared_ptr<LlmStream>> start(const std::shared_ptr<Slot> &slot, const ChatRequest &request,
                                           std::shared_ptr<LlmStreamHandler> handler,
                                           const LlmCallOptions &call, bool streaming) {
    if (slot == nullptr) return invalid_argument("LlmClient: no slot");
    if (handler == nullptr) return invalid_argument("LlmClient: no handler");
    ChatRequest req = request;
    if (req.model.empty()) req.model = options_.endpoint.model;
    req.stream = streaming;
    req.include_usage = streaming;  // the usage chunk carries the token counts the metrics need
    HttpRequest http;
    VOXLINE_RETURN_IF_ERROR(render_chat_request(req, http.body, options_.endpoint.render_options()));
    http.method = "POST";
    http.url = options_.endpoint.chat_completions_url();
    http.headers = options_.endpoint.request_headers(streaming);
    http.timeouts.connect = options_.connect_timeout;
    http.timeouts.first_byte = options_.first_byte_timeout;
    http.timeouts.idle = streaming ? options_.idle_timeout : Duration::zero();
    http.timeouts.total = options_.total_timeout;
    auto s = std::make_shared<OpenAiStream>(std::move(handler), streaming, options_, metrics_, call);
    RetryDriverOptions ro;
    ro.policy = RetryPolicy(options_.retry, {}, metrics_->registry);
    ro.max_total_delay = options_.max_total_retry_delay;
    ro.logger = options_.logger;
    metrics_->requests->inc();
    VOXLINE_ASSIGN_OR_RETURN(std::shared_ptr<HttpStream> h, RetryDriver::start(slot, std::move(http), s, ro));
    s->attach(std::move(h));
    return std::shared_ptr<LlmStream>(s);
  }

  LlmClientOptions options_;
  std::shared_ptr<LlmMetrics> metrics_;
};

}  // namespace

Result<std::unique_ptr<LlmClient>> make_openai_client(LlmClientOptions options, MetricsRegistry *metrics) {
  if (options.endpoint.base_url.empty()) return invalid_argument("LLM endpoint: base_url is required");
  if (options.endpoint.model.empty()) return invalid_argument("LLM endpoint: model is required");
  if (!options.endpoint.api_key.empty()) {
    // Masked in every log line and quoted error body from here on.
    VOXLINE_RETURN_IF_ERROR(default_logger().redactor().add_secret(options.endpoint.api_key));
    if (options.logger != nullptr && options.logger != &default_logger())
      VOXLINE_RETURN_IF_ERROR(options.logger->redactor().add_secret(options.endpoint.api_key));
  }
  MetricsRegistry &m = metrics != nullptr ? *metrics : MetricsRegistry::global();
  return std::unique_ptr<LlmClient>(new OpenAiClient(std::move(options), m));
}

}  // namespace voxline
