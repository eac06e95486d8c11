// Server-to-client websocket frames parsed in place (see ws_frame_reader.hpp).
#include "net/ws_frame_reader.hpp"

#include <algorithm>
#include <cstring>

namespace voxline::detail {

namespace {

bool sendable_close_code(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

}  // namespace

bool WsFrameReader::take_header() {
  const uint8_t b0 = head_[0], b1 = head_[1];
  if ((b1 & 0x80) != 0) return fail("server frames must not be masked");
  if ((b0 & 0x70) != 0) return fail("reserved frame bits set without an extension");
  fin_ = (b0 & 0x80) != 0;
  opcode_ = b0 & 0x0F;
  uint64_t len = b1 & 0x7F;
  if (len == 126) {
    len = (uint64_t{head_[2]} << 8) | head_[3];
  } else if (len == 127) {
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | head_[i];
    if ((len >> 63) != 0) return fail("frame length has its top bit set");
  }
  switch (opcode_) {
    case kWsOpContinuation:
      if (!in_message_) return fail("continuation frame outside a message");
      piece_first_ = false;
      break;
    case kWsOpText:
    case kWsOpBinary:
      if (in_message_) return fail("new data frame before the fragmented message ended");
      in_message_ = true;
      message_opcode_ = opcode_;
      piece_first_ = true;
      break;
    case kWsOpClose:
    case kWsOpPing:
    case kWsOpPong:
      if (!fin_) return fail("fragmented control frame");
      if (len > 125) return fail("control frame longer than 125 bytes");
      if (opcode_ == kWsOpClose && len == 1) return fail("close frame with a 1-byte payload");
      control_len_ = static_cast<size_t>(len);
      control_have_ = 0;
      break;
    default: return fail("unknown opcode");
  }
  payload_left_ = len;
  in_frame_ = true;
  head_have_ = 0;
  head_need_ = 2;
  return true;
}

bool WsFrameReader::deliver_control(WsFrameSink &sink, bool &stop) {
  if (opcode_ == kWsOpClose && control_len_ >= 2) {
    const int code = (control_[0] << 8) | control_[1];
    if (!sendable_close_code(code)) return fail("close frame with a code a peer may not send");
  }
  in_frame_ = false;
  stop = !sink.on_ws_control(opcode_, control_, control_len_);
  return true;
}

size_t WsFrameReader::feed(const uint8_t *data, size_t len, WsFrameSink &sink) {
  size_t pos = 0;
  while (error_ == nullptr) {
    if (!in_frame_) {
      if (pos == len) break;
      // Header bytes: at most 10 copied, whatever the split.
      while (head_have_ < head_need_ && pos < len) {
        head_[head_have_++] = data[pos++];
        if (head_have_ == 2) {
          const uint8_t l7 = head_[1] & 0x7F;
          head_need_ = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + ((head_[1] & 0x80) != 0 ? 4 : 0);
        }
      }
      if (head_have_ < head_need_) break;
      if (!take_header()) break;
    }
    if (opcode_ >= kWsOpClose) {
      const size_t take = std::min(control_len_ - control_have_, len - pos);
      std::memcpy(control_ + control_have_, data + pos, take);
      control_have_ += take;
      pos += take;
      if (control_have_ < control_len_) break;
      bool stop = false;
      if (!deliver_control(sink, stop) || stop) break;
      continue;
    }
    // Data: hand on the run that lies in this buffer (an empty frame is a run of 0 bytes).
    const size_t take = static_cast<size_t>(std::min<uint64_t>(payload_left_, len - pos));
    if (take == 0 && payload_left_ != 0) break;
    payload_left_ -= take;
    const bool frame_done = payload_left_ == 0;
    const bool last = fin_ && frame_done;
    const bool first = piece_first_;
    piece_first_ = false;
    if (frame_done) {
      in_frame_ = false;
      if (fin_) in_message_ = false;
    }
    const uint8_t *run = data + pos;
    pos += take;
    if (!sink.on_ws_data(message_opcode_, run, take, first, last)) break;
  }
  return pos;
}

}  // namespace voxline::detail
