// Internal: TtsStreamImpl, the one implementation of TtsStream. Its parts live in
// tts_stream.cpp (creation, the public operations, segments, events, failures),
// tts_stream_ws.cpp (the websocket: open, replies, audio, deadlines, back-pressure) and
// tts_stream_rest.cpp (the REST fallback). Everything but ack_audio() and the atomics runs on
// the slot thread, so the state needs no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "speech/tts_stream_metrics.hpp"
#include "speech/tts_window_budget.hpp"
#include "voxline/core/executor.hpp"
#include "voxline/net/http_stream.hpp"
#include "voxline/net/slot.hpp"
#include "voxline/net/ws_connection.hpp"
#include "voxline/speech/tts_messages.hpp"
#include "voxline/speech/tts_stream.hpp"

namespace voxline::speech::detail {

struct Segment {
  enum class State {
    kOpen,         // takes speak() text
    kFlushQueued,  // flush() accepted; the Flush waits behind text held for the char budget
    kFlushed,      // Flush written (REST: queued for synthesis); waiting for its audio and Flushed
  };
  uint64_t id = 0;
  State state = State::kOpen;
  // Kept while the websocket is not open (for the REST fallback) and in REST mode.
  std::string text;
  size_t rest_offset = 0;  // REST: bytes of `text` already synthesised
  uint64_t audio_bytes = 0;
  bool got_audio = false;
  SteadyTime flushed_at{};
  Duration time_to_first_audio{};
  bool rest = false;
};

// A Speak or Flush held back by the character budget, sent by a timer in order.
struct OutItem {
  bool flush = false;
  uint64_t segment = 0;
  std::string text;
  SteadyTime ready_at{};
  bool counted = false;  // in stats_.pending_text_bytes
};

// A Flush or Clear written, waiting for its Flushed / Cleared.
struct PendingReply {
  bool clear = false;
  uint64_t segment = 0;           // Flush: its segment
  std::vector<uint64_t> cleared;  // Clear: the segments it cleared
  SteadyTime sent_at{};
};

class TtsStreamImpl final : public TtsStream, public std::enable_shared_from_this<TtsStreamImpl> {
 public:
  TtsStreamImpl(std::shared_ptr<Slot> slot, const TtsStreamOptions &options,
                std::shared_ptr<TtsStreamHandler> handler, std::string ws_url, std::string rest_url,
                HttpHeader auth);
  ~TtsStreamImpl() override;

  // Opens the websocket unless a speak() already did (from create(), on the slot thread).
  void start();
  bool slot_thread() const { return slot_->running_in_this_thread(); }
  Status post_start(std::weak_ptr<TtsStreamImpl> w) {
    return slot_->post([w] {
      if (auto self = w.lock()) self->start();
    });
  }

  Result<uint64_t> speak(std::string_view text) override;
  Result<uint64_t> flush() override;
  Status clear() override;
  Status close() override;
  void ack_audio(size_t bytes) noexcept override;
  TtsStreamState state() const override;
  TtsStreamStats stats() const override;

  // Websocket events (tts_stream_ws.cpp), tagged with the connection's generation.
  void ws_open(uint64_t gen);
  void ws_message(uint64_t gen, WsMessage &message);
  void ws_ended(uint64_t gen, const Status &status, bool normal_close);
  // REST events (tts_stream_rest.cpp), tagged with the request's generation.
  void rest_data(uint64_t gen, std::string_view chunk);
  void rest_complete(uint64_t gen, const HttpCompletion &completion);

 private:
  enum class Mode { kWebsocket, kRest };
  enum class Link { kNone, kConnecting, kOpen };

  bool on_slot() const { return slot_->running_in_this_thread(); }
  Status check_call(const char *what) const;
  Segment *find_segment(uint64_t id);
  size_t max_piece_chars() const;

  // Calls the handler now (network and timer paths; calls post a task that does).
  template <typename F>
  void emit(F &&f);
  void emit_error(Status status, TtsOp op, std::vector<uint64_t> failed, bool fatal);
  void emit_warning(std::string code, std::string description);
  void complete_front(SteadyTime now);
  std::vector<uint64_t> take_all_segments();

  // Failures (tts_stream.cpp).
  static bool retry_can_help(const Status &status);
  void fail_link(const Status &status, TtsOp op);
  void die(const Status &status);
  void finish_close(const Status &status);
  void maybe_send_close();

  // Websocket (tts_stream_ws.cpp).
  void open_websocket();
  void open_failed(const Status &status);
  void drop_connection();
  Status send_speak(std::string_view piece);
  Status send_flush(Segment &seg, SteadyTime now);
  void pump_outbox();
  void arm_outbox_timer(SteadyTime now);
  void on_flushed_reply(std::optional<int64_t> sequence_id);
  void on_cleared_reply(std::optional<int64_t> sequence_id);
  void check_sequence(std::optional<int64_t> sequence_id);
  void on_audio_frame(WsMessage &message);
  void deliver(Segment &seg, std::string_view view, std::string *owned, bool rest);
  void arm_progress_timer(Duration in);
  void check_progress();
  void check_clear_deadline();
  void resume_if_credit();

  // REST (tts_stream_rest.cpp).
  void switch_to_rest(const Status &why);
  void pump_rest();
  void cancel_rest();

  // Set at creation.
  std::shared_ptr<Slot> slot_;
  TtsStreamOptions options_;
  std::shared_ptr<TtsStreamHandler> handler_;  // dropped after on_closed
  const std::string ws_url_, rest_url_;
  const HttpHeader auth_;
  TtsMetrics metrics_;
  const bool linear16_;

  // Slot thread only.
  Mode mode_ = Mode::kWebsocket;
  Link link_ = Link::kNone;
  bool closing_ = false, closed_ = false;
  uint64_t conn_gen_ = 0, rest_gen_ = 0;
  std::shared_ptr<WsConnection> conn_;
  std::shared_ptr<HttpStream> http_;
  size_t rest_piece_bytes_ = 0;
  TtsMessageDecoder decoder_;
  std::deque<Segment> segments_;  // not yet complete, oldest first; only the back may be open
  std::deque<OutItem> outbox_;
  std::deque<PendingReply> replies_;
  int clears_pending_ = 0;
  int64_t replies_received_ = 0;  // Flushed + Cleared on this connection
  bool sequence_warned_ = false, stray_warned_ = false;
  uint64_t next_segment_ = 1;
  int consecutive_failures_ = 0;
  SteadyTime last_progress_{};
  SteadyTime rest_since_{};
  WindowBudget char_budget_, flush_budget_;
  bool have_carry_ = false;  // linear16: an odd byte waiting for the next chunk
  char carry_ = 0;
  std::string carry_buf_;  // reused to join the carried byte with the next chunk
  bool paused_ = false;
  TimerHandle open_timer_, progress_timer_, clear_timer_, outbox_timer_, close_timer_, rest_timer_;
  TtsStreamStats stats_;

  // Back-pressure credit: delivered_ grows on the slot thread, acked_ on any thread.
  std::atomic<uint64_t> delivered_{0}, acked_{0};
  std::atomic<bool> paused_flag_{false}, resume_posted_{false};
};

template <typename F>
void TtsStreamImpl::emit(F &&f) {
  if (!handler_) return;
  std::shared_ptr<TtsStreamHandler> h = handler_;            // the callback may close the stream
  std::shared_ptr<TtsStreamImpl> self = shared_from_this();  // ... or drop its last reference
  f(*h);
}

}  // namespace voxline::speech::detail
