// File: http_stream.hpp
// HttpStream: one streaming HTTP request (typically a JSON POST answered with text/event-stream)
// run by libcurl on the libuv loop of a Runtime slot, and HttpStreamHandler, the owner's event
// interface. The response body is delivered chunk by chunk as it arrives, as the server split it.
//
//   HttpRequest req;
//   req.url = "https://api.openai.com/v1/chat/completions";
//   req.headers = {{"Authorization", "Bearer sk-..."}, {"Content-Type", "application/json"}};
//   req.body = R"({"model":"gpt-4o","stream":true,"messages":[...]})";
//   auto stream = slot->start_http(std::move(req), handler);    // Result<shared_ptr<HttpStream>>
//   (*stream)->cancel();                                        // barge-in, from any thread
//   // with retries before the first byte: RetryDriver::start(slot, req, handler) (retry_driver.hpp)
//
// Events: on_response (at most once, when the status line and headers are complete), on_data
// (only for 2xx responses; a non-2xx body is collected into HttpCompletion::error_body instead),
// then exactly one on_complete. A non-2xx status is not a transport failure, but on_complete maps
// it with status_from_http(): 401/403 UNAUTHENTICATED, 429 RATE_LIMITED, 5xx UNAVAILABLE, ...
// Threading: every callback runs on the thread of the Slot the stream was started on (the same
// thread as that slot's websockets, timers and tasks), in the order above, never two callbacks
// of one slot at once, with no voxline lock held. Nothing runs inside start_http() or cancel().
// Re-entrancy: a callback may cancel() any stream (this one included: no on_data follows, and
// on_complete(CANCELLED) comes on a later loop turn), start new streams, post and schedule. It
// must not block (every stream, websocket and timer of the slot waits for it) and must not
// destroy the Runtime. start_http(), preconnect() and cancel() never block either (a short
// mutex, then a wake-up of the slot loop), so they may be called from any thread or callback.
// Connections: each slot has its own pool. https uses HTTP/2 when the server offers it over ALPN,
// with concurrent streams to one origin multiplexed on one connection (a new request waits for a
// connection being set up rather than opening another); cancelling an HTTP/2 stream resets only
// that stream. HTTP/1.1 connections are kept alive and reused for the next request; cancelling
// one mid-body closes it. Slot::preconnect(url) warms a connection before the first request.
// Deadlines (HttpTimeouts) are per-stream timers on the slot loop; nothing polls.
// Secrets: error_body and the Status message of a non-2xx response pass the Runtime logger's
// Redactor (registered secrets, credential headers, Bearer tokens, sk- keys become "***").
// Lifetime: views (chunk, head) are valid only during the call. The handle and the handler are
// reference counted; dropping the handle does not cancel the stream; the runtime drops the
// handler right after on_complete returns. At Runtime shutdown live streams end with CANCELLED
// (phase "shutdown"), on their slot thread.
// Thread-safety: every HttpStream method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "voxline/core/clock.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"
#include "voxline/net/http_status.hpp"
#include "voxline/net/retry_policy.hpp"

namespace voxline {

struct HttpTimeouts {
  Duration connect = defaults::kConnectTimeout;  // DNS + TCP + TLS (+ waiting for a shared connection)
  Duration first_byte = defaults::kHttpFirstByteTimeout;  // request start until the response headers
  Duration idle = defaults::kHttpIdleTimeout;             // gap between two body chunks (0 = off)
  Duration total = defaults::kHttpTotalTimeout;           // whole request (0 = off; streams run long)
};

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  HttpHeaders headers;
  std::string body;  // copied into the request; usually JSON
  HttpTimeouts timeouts;
  size_t max_error_body_bytes = 64u << 10;  // the part of a non-2xx body kept for on_complete
};

struct HttpResponseHead {
  int status = 0;
  HttpHeaders headers;  // in arrival order, names as sent
};

struct HttpCompletion {
  Status status;  // OK only for a 2xx response read to its end
  // Where it ended: "done" (2xx read to its end), "response" (non-2xx read to its end), a timeout
  // or failure phase ("dns", "connect", "first_byte", "body", "idle", "total"), "cancel",
  // "shutdown", or "retry" (RetryDriver: a later attempt could not be started).
  std::string phase;
  int http_status = 0;  // 0 when no response arrived
  HttpHeaders headers;
  std::string error_body;             // the start of a non-2xx body, secrets masked
  bool first_byte_delivered = false;  // on_data ran at least once (never retry then)
  uint64_t body_bytes = 0;
  int http_version = 0;        // 11 = HTTP/1.1, 20 = HTTP/2; 0 when no response arrived
  int connections_opened = 0;  // connections this request opened: 0 when it reused a pooled one
  int local_port = 0;          // client port of the connection it used (same port, same connection)
  int attempts = 1;            // requests made, retries included (RetryDriver)

  // The facts RetryPolicy::decide needs (Retry-After, x-should-retry, first byte).
  RetryHints retry_hints(const Clock &clock = Clock::system()) const;
};

class HttpStream;

class VOXLINE_API HttpStreamHandler {
 public:
  virtual ~HttpStreamHandler() = default;
  virtual void on_response(HttpStream &stream, const HttpResponseHead &head) {
    (void)stream;
    (void)head;
  }
  virtual void on_data(HttpStream &stream, std::string_view chunk) = 0;
  virtual void on_complete(HttpStream &stream, const HttpCompletion &completion) = 0;
};

class VOXLINE_API HttpStream {
 public:
  virtual ~HttpStream() = default;
  // Aborts the request within one I/O loop turn: on_complete with CANCELLED follows, unless the
  // request already completed (then nothing happens). Idempotent.
  virtual void cancel() = 0;
  // True once on_complete has returned.
  virtual bool done() const = 0;
  virtual uint64_t id() const = 0;
};

}  // namespace voxline
