// File: ws_session.hpp
// WsSession: the protocol logic of one simulated websocket connection (STT, TTS, echo) without
// any socket code. The lws glue feeds it complete client messages and the current time, and
// plays back the frames it queues in `out` when they fall due (faults are applied by the glue).
// Thread-safety: used only on the simulator's service thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/src/scenario.hpp"

namespace voxline::sim::detail {

struct OutFrame {
  enum class Kind { kText, kBinary, kClose, kDrop };  // kDrop: cut the TCP connection
  Kind kind = Kind::kText;
  std::string payload;  // close: reason
  int close_code = 0;
  int64_t due_ms = 0;  // simulator time at which it may be sent
  std::string tag;     // e.g. "audio" so Clear can drop queued audio
};

// Query parameters of the upgrade request, in order (repeatable keys stay repeated).
using QueryParams = std::vector<std::pair<std::string, std::string>>;

class WsSession {
 public:
  virtual ~WsSession() = default;
  virtual void on_open() {}
  virtual void on_message(bool binary, std::string_view data) = 0;
  // Called when now_ms >= wakeup_ms() (>= 0).
  virtual void on_timer() {}
  virtual int64_t wakeup_ms() const { return -1; }
  // Extra handshake response headers (e.g. dg-request-id).
  virtual std::vector<std::pair<std::string, std::string>> response_headers() const { return {}; }

  // Set by the glue before every call.
  int64_t now_ms = 0;
  // Frames to send, in order; each waits until its due time.
  std::deque<OutFrame> out;
  // Set by a session once it queued its final close: further client input is ignored.
  bool finished = false;

 protected:
  void send_text(std::string payload, int64_t due_ms = -1, std::string tag = {}) {
    out.push_back(
        {OutFrame::Kind::kText, std::move(payload), 0, due_ms < 0 ? now_ms : due_ms, std::move(tag)});
  }
  void send_binary(std::string payload, int64_t due_ms = -1, std::string tag = {}) {
    out.push_back(
        {OutFrame::Kind::kBinary, std::move(payload), 0, due_ms < 0 ? now_ms : due_ms, std::move(tag)});
  }
  void send_close(int code, std::string reason, int64_t due_ms = -1) {
    out.push_back({OutFrame::Kind::kClose, std::move(reason), code, due_ms < 0 ? now_ms : due_ms, {}});
    finished = true;
  }
  void send_drop() {
    out.push_back({OutFrame::Kind::kDrop, {}, 0, now_ms, {}});
    finished = true;
  }
  int64_t last_due() const { return out.empty() ? now_ms : std::max(now_ms, out.back().due_ms); }
};

// Result of validating an upgrade: a session, or an HTTP rejection with a Deepgram-style error.
struct SessionOrReject {
  std::unique_ptr<WsSession> session;
  int status = 0;     // != 0: refuse the handshake with this status
  std::string error;  // dg-error header and body text
};

SessionOrReject make_echo_session();
SessionOrReject make_stt_session(const QueryParams &query, std::shared_ptr<const Scenario> scenario,
                                 std::string request_id);
SessionOrReject make_tts_session(const QueryParams &query, std::shared_ptr<const Scenario> scenario,
                                 std::string request_id, bool never_flushed);

}  // namespace voxline::sim::detail
