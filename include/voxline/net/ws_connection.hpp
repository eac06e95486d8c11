// File: ws_connection.hpp
// WsConnection: one client websocket (ws:// or wss://) served by one Runtime slot, and WsHandler,
// the owner's event interface. Outgoing messages go through two bounded per-connection lanes:
// the data lane (audio, Speak text) and the priority lane (Clear, Finalize, CloseStream, the
// close frame), which overtakes everything queued on the data lane. Sending never blocks.
//
//   struct Tts : WsHandler {
//     void on_message(WsConnection &c, WsMessage &m) override { audio.push(m.take()); }  // no copy
//     void on_close(WsConnection &c, const WsCloseInfo &info) override { ... }
//     void on_error(WsConnection &c, const WsErrorInfo &info) override { ... }
//     void on_drain(WsConnection &c) override { resume_producer(); }   // queue at low water
//   };
//   WsConnectOptions o; o.url = "wss://api.deepgram.com/v1/speak";
//   o.headers = {{"Authorization", "Token k"}};
//   auto conn = slot->connect_websocket(o, std::make_shared<Tts>());   // Result<shared_ptr<...>>
//   WsBuffer frame(640);  fill(frame.data(), 640);                      // headroom for the header
//   (*conn)->send(std::move(frame));                                    // owned, never copied again
//   (*conn)->send_control_text(R"({"type":"Clear"})");                  // overtakes queued audio
//   (*conn)->close(1000, "done");
//
// Threading: every WsHandler callback runs on the thread of the slot the connection was opened
// on, in wire order, never two at once for one slot, and with no voxline lock held. A callback
// never runs inside the call that caused it (send, close, abort, ...), so handlers may call any
// WsConnection method, and any other voxline call that does not wait for this slot. Handlers must
// not block: one slow callback delays every connection, stream, timer and task of the slot.
// Events: on_open at most once, then on_message / on_drain, then exactly one terminal event:
// on_close (a close handshake happened, started by either side) or on_error (connect or handshake
// failure, timeout, dropped link, abort, cancellation, runtime shutdown, a peer that broke the
// protocol: PROTOCOL_ERROR after our close 1002, or 1007 for a text message or close reason that
// is not valid UTF-8, which is never delivered). No callback follows it.
// Views passed to callbacks are valid only during the call; WsMessage::take() moves the payload
// out instead.
// Lifetime: the Runtime holds the connection and the handler until the terminal event returned,
// then drops the handler. Dropping the LAST copy of the shared_ptr returned by connect_websocket
// closes the connection as close(1000) would (before open: cancels it); the handler still gets
// its terminal event. Keep the handle for as long as the connection should live.
// Thread-safety: every WsConnection method may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"
#include "voxline/net/http_status.hpp"

namespace voxline {

enum class WsMessageType { kText, kBinary };

enum class WsState { kConnecting, kOpen, kClosing, kClosed };

// An outgoing payload that reserves kHeadroom bytes in front of data() for the websocket frame
// header (at most 14 bytes for a client frame), so the runtime frames it in place and writes it
// without copying it again.
class VOXLINE_API WsBuffer {
 public:
  static constexpr size_t kHeadroom = 16;

  WsBuffer() : storage_(kHeadroom, '\0') {}
  explicit WsBuffer(size_t size) : storage_(kHeadroom + size, '\0') {}
  // One allocation, one copy of `bytes`.
  static WsBuffer copy_of(std::string_view bytes) {
    WsBuffer b;
    b.append(bytes);
    return b;
  }

  char *data() noexcept { return &storage_[kHeadroom]; }
  const char *data() const noexcept { return storage_.data() + kHeadroom; }
  size_t size() const noexcept { return storage_.size() - kHeadroom; }
  bool empty() const noexcept { return size() == 0; }
  std::string_view view() const noexcept { return {data(), size()}; }
  void resize(size_t size) { storage_.resize(kHeadroom + size, '\0'); }
  void reserve(size_t size) { storage_.reserve(kHeadroom + size); }
  void append(std::string_view bytes) { storage_.append(bytes.data(), bytes.size()); }
  void clear() { storage_.resize(kHeadroom); }

 private:
  std::string storage_;  // kHeadroom spare bytes, then the payload
};

// A message queued for sending, as take_unsent() hands it back.
struct WsOutMessage {
  WsMessageType type = WsMessageType::kBinary;
  WsBuffer payload;
  bool priority = false;  // queued on the priority lane (send_control*)
};

// A received message. The payload may be moved out with take() (no copy); data() is then empty.
class WsMessage {
 public:
  WsMessage(WsMessageType type, std::string &payload) noexcept : type_(type), payload_(payload) {}
  WsMessageType type() const noexcept { return type_; }
  bool is_text() const noexcept { return type_ == WsMessageType::kText; }
  std::string_view data() const noexcept { return payload_; }
  size_t size() const noexcept { return payload_.size(); }
  std::string take() noexcept { return std::move(payload_); }

 private:
  WsMessageType type_;
  std::string &payload_;
};

// Every phase of a websocket has a deadline; expiry ends the connection with TIMEOUT. Each is a
// timer on the slot's loop: nothing scans connections periodically.
struct WsTimeouts {
  Duration connect = defaults::kConnectTimeout;        // DNS + TCP + TLS, until the upgrade request goes out
  Duration handshake = defaults::kWsHandshakeTimeout;  // the server's answer to the upgrade request
  Duration idle = defaults::kWsIdleTimeout;            // no message received for this long (0 = off;
                                                       // suspended while reading is paused)
  Duration send = defaults::kWsSendTimeout;            // queued data but no write progress for this long
  Duration close = defaults::kWsCloseTimeout;          // close() until the connection is down
};

struct WsConnectOptions {
  std::string url;          // ws://host[:port]/path?query or wss://...
  HttpHeaders headers;      // extra handshake headers, e.g. {"Authorization", "Token ..."}
  std::string subprotocol;  // Sec-WebSocket-Protocol, empty for none
  WsTimeouts timeouts;
  int ping_interval_s = 0;                  // send a ping after this many idle seconds (0 = no pings)
  int ping_hangup_s = 0;                    // drop the link when nothing arrived for this long (0 = 3 x ping)
  size_t max_queued_messages = 1024;        // data lane
  size_t max_queued_bytes = 8u << 20;       // data lane
  size_t max_queued_control = 64;           // priority lane (messages)
  size_t send_low_water_bytes = 64u << 10;  // on_drain fires when the data lane falls to this
  size_t max_message_bytes = 16u << 20;     // a larger incoming message closes with 1009 and an error
};

struct WsOpenInfo {
  int http_status = 101;
  std::string subprotocol;  // as accepted by the server
  std::string request_id;   // the dg-request-id response header, if the server sent one
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
  // Every header of a refused upgrade's answer, names lower-cased (content-type, retry-after,
  // www-authenticate, Deepgram's dg-request-id and dg-error among them).
  HttpHeaders headers;
  std::string body;  // the refusal's body (Deepgram: JSON with err_code, err_msg), at most 64 KB
};

struct WsStats {
  uint64_t messages_sent = 0, bytes_sent = 0;  // handed to the socket (written)
  uint64_t messages_received = 0, bytes_received = 0;
  uint64_t pongs_received = 0;
  uint64_t send_rejected = 0;                                 // send*() calls refused with QUEUE_FULL
  uint64_t discarded = 0;                                     // messages dropped by discard_queued()
  size_t queued = 0, queued_bytes = 0, queue_high_water = 0;  // both lanes; high water in messages
  uint64_t control_messages_sent = 0;                         // priority-lane messages written
  // When the last priority-lane message was handed to the socket (epoch: none yet), so control
  // latency (queued -> written) can be measured without a callback per write.
  SteadyTime last_control_written{};
};

class WsConnection;

class VOXLINE_API WsHandler {
 public:
  virtual ~WsHandler() = default;
  virtual void on_open(WsConnection &conn, const WsOpenInfo &info) {
    (void)conn;
    (void)info;
  }
  virtual void on_message(WsConnection &conn, WsMessage &message) = 0;
  // The data lane fell to WsConnectOptions::send_low_water_bytes after having been above it.
  virtual void on_drain(WsConnection &conn) { (void)conn; }
  virtual void on_close(WsConnection &conn, const WsCloseInfo &info) = 0;
  virtual void on_error(WsConnection &conn, const WsErrorInfo &info) = 0;
};

class VOXLINE_API WsConnection {
 public:
  virtual ~WsConnection() = default;

  // Queues a message on the data lane (allowed before on_open: it goes out once open), taking
  // ownership of `payload` (written without another copy). QUEUE_FULL when the data lane is
  // full (nothing is queued; the buffer is dropped); FAILED_PRECONDITION after close().
  virtual Status send(WsBuffer payload, WsMessageType type = WsMessageType::kBinary) = 0;
  // Conveniences: one allocation and one copy of the view.
  Status send_text(std::string_view text) { return send(WsBuffer::copy_of(text), WsMessageType::kText); }
  Status send_binary(std::string_view bytes) {
    return send(WsBuffer::copy_of(bytes), WsMessageType::kBinary);
  }

  // Queues a message on the priority lane: it is written before anything on the data lane (in
  // order with other priority messages). For Clear, Finalize, CloseStream, KeepAlive.
  virtual Status send_control(WsBuffer payload, WsMessageType type = WsMessageType::kText) = 0;
  Status send_control_text(std::string_view text) {
    return send_control(WsBuffer::copy_of(text), WsMessageType::kText);
  }

  // Starts a clean close on the priority lane: queued priority messages are written, then the
  // close frame; data still queued is NOT written (take_unsent() returns it; wait for on_drain
  // first to deliver it). The terminal event follows. Before the connection is open this cancels
  // it (on_error with CANCELLED). Idempotent; never lost, even when the slot's queue is full.
  virtual Status close(int code = 1000, std::string_view reason = {}) = 0;
  // Ends the connection at once, without a close handshake: on_error with CANCELLED (phase
  // "abort") follows on the slot thread. Idempotent.
  virtual void abort() = 0;

  // Drops every message queued on the data lane; returns how many. Barge-in.
  virtual size_t discard_queued() = 0;
  // Removes and returns every message not yet written, priority lane first, each lane in queue
  // order (for replay after a reconnect). Also valid after the terminal event.
  virtual std::vector<WsOutMessage> take_unsent() = 0;

  // Back-pressure on the receiving side: stop / restart reading from the socket (bytes already
  // received wait). Once pause_reading() has returned no further on_message starts (one already
  // running on the slot thread completes). While paused the idle deadline does not run.
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;

  virtual WsState state() const = 0;
  virtual WsStats stats() const = 0;
  // Unique within the process.
  virtual uint64_t id() const = 0;
};

}  // namespace voxline
