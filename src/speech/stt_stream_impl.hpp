// SttStream::Impl: the state of one stream. Split by responsibility:
//   stt_stream.cpp             the public API, options, open, lifetime
//   stt_stream_connection.cpp  connecting, the websocket events, server messages -> owner events
//   stt_stream_reconnect.cpp   drops, backoff, the replay of unfinalized audio
//   stt_stream_tick.cpp        the coalescing tick: ring -> messages, Finalize/CloseStream,
//                              KeepAlive, the result and close deadlines, the end
// Everything but push_audio, stats() and the atomics runs on the slot thread, so it needs no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "speech/stt_event_map.hpp"
#include "speech/stt_metrics.hpp"
#include "speech/stt_replay.hpp"
#include "speech/stt_ring.hpp"
#include "voxline/core/executor.hpp"
#include "voxline/net/retry_policy.hpp"
#include "voxline/net/slot.hpp"
#include "voxline/net/ws_connection.hpp"
#include "voxline/speech/stt_stream.hpp"

namespace voxline::speech {

class SttStream::Impl : public std::enable_shared_from_this<SttStream::Impl> {
 public:
  Impl(std::shared_ptr<Slot> slot, const SttStreamOptions &options, std::shared_ptr<SttStreamHandler> handler,
       MetricsRegistry &metrics, std::string url, HttpHeader auth);
  ~Impl();

  // Any thread.
  Status push_audio(const void *data, size_t size) noexcept;
  Status post(void (Impl::*what)());
  SttStreamStats stats() const noexcept;
  bool closing() const noexcept { return !accepting_.load(std::memory_order_acquire); }
  void stop_accepting() noexcept { accepting_.store(false, std::memory_order_release); }

  // Slot thread (posted by SttStream).
  void start();
  void request_finalize();
  void request_close();
  void request_abort();

  // Websocket events of connection `gen` (stt_stream_connection.cpp); stale generations are ignored.
  void on_ws_open(uint64_t gen, const WsOpenInfo &info);
  void on_ws_message(uint64_t gen, WsMessage &message);
  void on_ws_close(uint64_t gen, const WsCloseInfo &info);
  void on_ws_error(uint64_t gen, const WsErrorInfo &info);

 private:
  enum class State { kIdle, kConnecting, kOpen, kWaitingReconnect, kClosing, kClosed };

  // stt_stream_connection.cpp
  void connect();
  void deliver(SttEvent &event);
  // stt_stream_reconnect.cpp
  void connection_lost(Status cause, std::optional<Duration> server_delay = std::nullopt);
  uint64_t replay_start() const noexcept;
  void replay_onto_new_connection(SttReconnectInfo &info);
  // stt_stream_tick.cpp
  void schedule_tick();
  void tick();
  void drain(bool flush);
  void send_controls(SteadyTime now);
  bool send_audio(WsBuffer buffer, Counter &kind);
  void send_silence(Duration length);
  size_t bytes_for_duration(Duration d) const noexcept;
  Logger &logger() const noexcept;
  void fail_connection(Status cause);
  void error_event(const Status &status, bool fatal);
  void finish(Status status);

  const std::shared_ptr<Slot> slot_;
  const SttStreamOptions options_;
  std::shared_ptr<SttStreamHandler> handler_;  // released after on_closed
  SttMetrics metrics_;
  const std::string url_;
  const HttpHeader auth_;
  const SttAudioClock clock_;
  const size_t coalesce_bytes_;
  const size_t max_message_bytes_;
  const RetryPolicy policy_;

  // Producer side (any one thread) and shared counters.
  SttAudioRing ring_;
  std::atomic<bool> producing_{false};
  std::atomic<bool> accepting_{true};
  std::atomic<uint64_t> pushed_{0};
  std::atomic<uint64_t> sent_{0}, silence_{0}, replayed_{0}, replay_lost_{0};
  std::atomic<uint64_t> keepalives_{0}, finalizes_{0}, results_{0}, malformed_{0};
  std::atomic<int> connections_{0}, reconnects_{0};

  // Slot thread.
  State state_ = State::kIdle;
  SttReplayBuffer replay_;
  SttMessageDecoder decoder_;
  std::shared_ptr<WsConnection> conn_;
  uint64_t gen_ = 0;
  int attempt_ = 1;                // attempts in the current outage (the failed connection is 1)
  bool got_message_ = false;       // the current connection delivered a message
  uint64_t conn_base_ = 0;         // stream offset of the current connection's first byte
  uint64_t final_end_ = 0;         // stream offset up to which Deepgram's text is final
  bool finalize_pending_ = false;  // finalize() asked, Finalize not written yet
  bool finalize_awaited_ = false;  // Finalize sent, no final result since
  bool close_requested_ = false;
  bool metadata_received_ = false;
  bool first_result_seen_ = false;
  size_t published_high_water_ = 0;
  SteadyTime conn_first_audio_{};               // first audio byte of the current connection (epoch: none)
  SteadyTime last_audio_{};                     // last audio or KeepAlive written
  std::optional<SteadyTime> unanswered_since_;  // audio sent since Deepgram's last message
  SteadyTime close_deadline_{};
  SteadyTime next_tick_{};
  TimerHandle tick_timer_, reconnect_timer_;
  Status pending_cause_;
  Duration pending_delay_{};
};

}  // namespace voxline::speech
