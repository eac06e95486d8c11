// Internal: WsFrameReader, the receiving half of RFC 6455 framing for a client: server frames
// (unmasked) parsed from whatever pieces the socket delivers, payload handed on without a copy.
//
// Why our own: libwebsockets 4.1 parses client frames one byte per lws_ws_client_rx_sm() call
// (about 14 ns per byte, 42% of a slot thread at 1000 calls of real-time TTS audio). This reader
// looks at each header byte once and passes payload runs as they lie in the read buffer.
//
//   WsFrameReader r;
//   size_t used = r.feed(buf, n, sink);   // sink gets data pieces and whole control frames
//   if (r.failed()) close_with(r.error_code(), r.error_reason());
//   // used < n: the sink asked to stop (paused, closed); feed the rest later
//
// Checks (a failure is a protocol error, close code 1002): masked server frames, RSV bits (no
// extension is ever negotiated), unknown opcodes, fragmented or >125-byte control frames, a
// continuation outside a message, a new message inside one, a 64-bit length with its top bit
// set, a 1-byte close payload and close codes a peer may not send. Text is not UTF-8 checked
// here (WsConn checks whole text messages: 1007). Message size limits are the sink's (it sees every piece).
// Threads: one reader belongs to one connection on one thread; no allocation, no locks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace voxline::detail {

constexpr uint8_t kWsOpContinuation = 0x0;
constexpr uint8_t kWsOpText = 0x1;
constexpr uint8_t kWsOpBinary = 0x2;
constexpr uint8_t kWsOpClose = 0x8;
constexpr uint8_t kWsOpPing = 0x9;
constexpr uint8_t kWsOpPong = 0xA;

class WsFrameSink {
 public:
  virtual ~WsFrameSink() = default;
  // A run of a data message's payload, `opcode` being the message's (text or binary). `first`
  // on the message's first run, `last` once the message is complete (len may be 0). Returns
  // false to stop feed() after this run.
  virtual bool on_ws_data(uint8_t opcode, const uint8_t *data, size_t len, bool first, bool last) = 0;
  // A whole control frame (close, ping, pong); `payload` is valid during the call. Returns false
  // to stop feed() after it.
  virtual bool on_ws_control(uint8_t opcode, const uint8_t *payload, size_t len) = 0;
};

class WsFrameReader {
 public:
  // Parses up to `len` bytes; returns how many were consumed (all of them unless the sink
  // stopped or the stream failed). After a failure nothing more is consumed.
  size_t feed(const uint8_t *data, size_t len, WsFrameSink &sink);

  bool failed() const noexcept { return error_ != nullptr; }
  int error_code() const noexcept { return 1002; }
  const char *error_reason() const noexcept { return error_ != nullptr ? error_ : ""; }
  // A data message has started and not finished.
  bool in_message() const noexcept { return in_message_; }

 private:
  bool take_header();  // head_ is complete: validates it and sets up the frame
  bool deliver_control(WsFrameSink &sink, bool &stop);
  bool fail(const char *why) {
    error_ = why;
    return false;
  }

  uint8_t head_[14];
  size_t head_have_ = 0;
  size_t head_need_ = 2;
  uint8_t opcode_ = 0;
  bool fin_ = false;
  bool in_frame_ = false;  // the header is read, payload_left_ bytes follow
  uint64_t payload_left_ = 0;
  bool in_message_ = false;
  uint8_t message_opcode_ = 0;
  bool piece_first_ = false;
  uint8_t control_[125];
  size_t control_have_ = 0;
  size_t control_len_ = 0;
  const char *error_ = nullptr;
};

}  // namespace voxline::detail
