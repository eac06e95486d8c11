// File: ws_connection.hpp
// WsConnection: one client websocket (ws:// or wss://) served by a Runtime I/O thread, and
// WsHandler, the owner's event interface. Outgoing messages go through a bounded per-connection
// queue: send_*() never blocks and returns QUEUE_FULL when the queue is full.
//
//   struct Echo : WsHandler {
//     void on_message(WsConnection &c, WsMessageType t, std::string_view d) override { ... }
//     void on_close(WsConnection &c, const WsCloseInfo &info) override { ... }
//     void on_error(WsConnection &c, const WsErrorInfo &info) override { ... }
//   };
//   WsConnectOptions o; o.url = "wss://api.deepgram.com/v1/listen"; o.headers = {{"Authorization", "Token
//   k"}}; auto conn = runtime->connect_websocket(o, std::make_shared<Echo>());
//   (*conn)->send_text(R"({"type":"KeepAlive"})");
//   (*conn)->close(1000, "done");
//
// Events: every callback runs on the connection's Runtime I/O thread, in order, never two at once
// for one connection, and with no internal lock held, so a handler may call send_*() or close()
// (and any other voxline call that does not wait for this I/O thread). Exactly one terminal event
// is delivered per connection: on_close (a close handshake happened, started by either side) or
// on_error (connect/handshake failure, timeout, dropped link, cancellation or runtime shutdown).
// No callback follows it. Handlers must not block: they hold up every connection on that thread.
// Views passed to callbacks are valid only during the call.
// Lifetime: the handle and the handler are reference counted; the runtime keeps both alive until
// the terminal event has returned, then drops its reference to the handler.
// Thread-safety: every WsConnection method may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "voxline/core/clock.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"
#include "voxline/net/http_status.hpp"

namespace voxline {

enum class WsMessageType { kText, kBinary };

enum class WsState { kConnecting, kOpen, kClosing, kClosed };

// Every phase of a websocket has a deadline; expiry ends the connection with TIMEOUT.
struct WsTimeouts {
  Duration connect = defaults::kConnectTimeout;        // DNS + TCP + TLS, until the upgrade request goes out
  Duration handshake = defaults::kWsHandshakeTimeout;  // the server's answer to the upgrade request
  Duration idle = defaults::kWsIdleTimeout;            // no message received for this long (0 = off)
  Duration send = defaults::kWsSendTimeout;            // a queued message still not written after this long
  Duration close = defaults::kWsCloseTimeout;          // close() until the connection is down
};

struct WsConnectOptions {
  std::string url;          // ws://host[:port]/path?query or wss://...
  HttpHeaders headers;      // extra handshake headers, e.g. {"Authorization", "Token ..."}
  std::string subprotocol;  // Sec-WebSocket-Protocol, empty for none
  WsTimeouts timeouts;
  int ping_interval_s = 0;  // send a ping after this many idle seconds (0 = no pings)
  int ping_hangup_s = 0;    // drop the link when nothing arrived for this long (0 = 3 x ping)
  size_t max_queued_messages = 1024;
  size_t max_queued_bytes = 8u << 20;
  size_t max_message_bytes = 16u << 20;  // a larger incoming message closes with 1009 and an error
};

struct WsOpenInfo {
  int http_status = 101;
  std::string subprotocol;  // as accepted by the server
};

struct WsCloseInfo {
  int code = 1005;  // 1005 when the close frame carried no code
  std::string reason;
  bool by_peer = false;  // the server started the close handshake
  Status status;         // OK for 1000 (and for our own close); status_from_close_code otherwise
};

struct WsErrorInfo {
  Status status;        // TIMEOUT, UNAVAILABLE, UNAUTHENTICATED, RATE_LIMITED, CANCELLED, ...
  std::string phase;    // "dns", "connect", "handshake", "open", "idle", "send", "close"
  int http_status = 0;  // the server's answer to the upgrade request, 0 if none arrived
  HttpHeaders headers;  // the response headers lws kept (content-type, retry-after, ...)
  std::string body;     // not available with libwebsockets 4.1 (kept for later versions)
};

struct WsStats {
  uint64_t messages_sent = 0, bytes_sent = 0;
  uint64_t messages_received = 0, bytes_received = 0;
  uint64_t pongs_received = 0;
  uint64_t send_rejected = 0;  // send_*() calls refused with QUEUE_FULL
  size_t queued = 0, queue_high_water = 0;
};

class WsConnection;

class VOXLINE_API WsHandler {
 public:
  virtual ~WsHandler() = default;
  virtual void on_open(WsConnection &conn, const WsOpenInfo &info) {
    (void)conn;
    (void)info;
  }
  virtual void on_message(WsConnection &conn, WsMessageType type, std::string_view data) = 0;
  virtual void on_close(WsConnection &conn, const WsCloseInfo &info) = 0;
  virtual void on_error(WsConnection &conn, const WsErrorInfo &info) = 0;
};

class VOXLINE_API WsConnection {
 public:
  virtual ~WsConnection() = default;

  // Queue a message (allowed before on_open: it goes out once open). QUEUE_FULL when the
  // per-connection queue is full (nothing is queued); FAILED_PRECONDITION after close().
  virtual Status send_text(std::string_view text) = 0;
  virtual Status send_binary(std::string_view bytes) = 0;
  // Starts a clean close once the queued messages are written; the terminal event follows.
  // Before the connection is open this cancels it (on_error with CANCELLED). Idempotent.
  virtual Status close(int code = 1000, std::string_view reason = {}) = 0;

  virtual WsState state() const = 0;
  virtual WsStats stats() const = 0;
  // Unique within the process.
  virtual uint64_t id() const = 0;
};

}  // namespace voxline
