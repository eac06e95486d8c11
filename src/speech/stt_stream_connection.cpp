// SttStream: opening a connection, its websocket events, and server messages turned into the
// owner's events on the stream clock (see stt_stream_impl.hpp for the file split).
#include <algorithm>
#include <variant>

#include "speech/stt_stream_impl.hpp"
#include "voxline/core/log.hpp"
#include "voxline/net/http_status.hpp"

namespace voxline::speech {
namespace {

// One per connection: forwards its events, tagged with the connection's generation, so events of
// a connection the stream has given up on are ignored. Holds the stream until the terminal event.
class ConnHandler final : public WsHandler {
 public:
  ConnHandler(std::shared_ptr<SttStream::Impl> impl, uint64_t gen) : impl_(std::move(impl)), gen_(gen) {}
  void on_open(WsConnection &, const WsOpenInfo &info) override { impl_->on_ws_open(gen_, info); }
  void on_message(WsConnection &, WsMessage &message) override { impl_->on_ws_message(gen_, message); }
  void on_close(WsConnection &, const WsCloseInfo &info) override { impl_->on_ws_close(gen_, info); }
  void on_error(WsConnection &, const WsErrorInfo &info) override { impl_->on_ws_error(gen_, info); }

 private:
  std::shared_ptr<SttStream::Impl> impl_;
  uint64_t gen_;
};

}  // namespace

void SttStream::Impl::connect() {
  ++gen_;
  got_message_ = false;
  first_result_seen_ = false;
  conn_first_audio_ = SteadyTime{};
  unanswered_since_.reset();
  WsConnectOptions o;
  o.url = url_;
  o.headers = {auth_};
  o.timeouts.connect = options_.connect_timeout;
  o.timeouts.handshake = options_.handshake_timeout;
  o.ping_interval_s = options_.ping_interval_s;
  state_ = State::kConnecting;
  auto conn = slot_->connect_websocket(o, std::make_shared<ConnHandler>(shared_from_this(), gen_));
  if (!conn.ok()) return connection_lost(conn.status());
  conn_ = std::move(*conn);
}

void SttStream::Impl::on_ws_open(uint64_t gen, const WsOpenInfo &info) {
  if (gen != gen_ || state_ != State::kConnecting) return;
  state_ = State::kOpen;
  const SteadyTime now = Clock::system().now();
  last_audio_ = now;  // the KeepAlive interval starts with the connection
  const int number = connections_.fetch_add(1, std::memory_order_relaxed);
  conn_base_ = replay_.end();
  if (number == 0) {
    handler_->on_open(SttOpenInfo{info.request_id});
  } else {
    SttReconnectInfo r;
    r.attempt = attempt_ - 1;
    r.cause = pending_cause_;
    r.delay = pending_delay_;
    r.connection = number;
    r.request_id = info.request_id;
    replay_onto_new_connection(r);
    if (state_ != State::kOpen) return;  // the replay could not be queued
    handler_->on_reconnected(r);
  }
  // Deepgram closes a socket that never received audio: silence goes first when none is waiting.
  if (replay_.end() == conn_base_ && ring_.available() == 0 && options_.initial_silence > Duration::zero())
    send_silence(options_.initial_silence);
  if (state_ == State::kOpen) drain(close_requested_);
}

void SttStream::Impl::on_ws_message(uint64_t gen, WsMessage &message) {
  if (gen != gen_ || (state_ != State::kOpen && state_ != State::kClosing)) return;
  if (!got_message_) {
    got_message_ = true;
    attempt_ = 1;  // this connection works: a later drop starts a new count
  }
  unanswered_since_.reset();
  if (!message.is_text()) return;  // /v1/listen sends no binary frames
  SttEvent event = decoder_.decode(message.data());
  deliver(event);
}

void SttStream::Impl::deliver(SttEvent &event) {
  const double offset = clock_.seconds(conn_base_);
  if (auto *t = std::get_if<SttTranscript>(&event)) {
    results_.fetch_add(1, std::memory_order_relaxed);
    if (!first_result_seen_) {
      first_result_seen_ = true;
      if (conn_first_audio_ != SteadyTime{})
        metrics_.first_result_ms->observe(elapsed_ms(conn_first_audio_, Clock::system().now()));
    }
    if (t->is_final) {
      final_end_ = std::max(final_end_, final_end_offset(*t, conn_base_, replay_.end(), clock_));
      if (t->from_finalize) finalize_awaited_ = false;
    }
    rebase(*t, offset);
    handler_->on_transcript(*t);
  } else if (auto *s = std::get_if<SttSpeechStarted>(&event)) {
    rebase(*s, offset);
    handler_->on_speech_started(*s);
  } else if (auto *u = std::get_if<SttUtteranceEnd>(&event)) {
    rebase(*u, offset);
    handler_->on_utterance_end(*u);
  } else if (auto *m = std::get_if<SttMetadata>(&event)) {
    metadata_received_ = true;
    handler_->on_metadata(*m);
  } else if (auto *e = std::get_if<ServerError>(&event)) {
    if (e->origin == ServerError::Origin::kMalformed) malformed_.fetch_add(1, std::memory_order_relaxed);
    error_event(e->status, false);  // the close that may follow decides the stream's fate
  } else if (auto *w = std::get_if<ServerWarning>(&event)) {
    logger().logf(LogLevel::kWarn, "speech", "Deepgram STT warning {}: {}", w->code, w->description);
  } else if (auto *k = std::get_if<UnknownMessage>(&event)) {
    logger().logf(LogLevel::kDebug, "speech", "Deepgram STT message of unknown type '{}' ignored", k->type);
  }
}

void SttStream::Impl::on_ws_close(uint64_t gen, const WsCloseInfo &info) {
  if (gen != gen_ || state_ == State::kClosed) return;
  conn_.reset();
  if (is_deepgram_timeout(info.code, info.reason)) metrics_.timeout_deepgram->inc();
  if (state_ == State::kClosing) {  // CloseStream was sent: 1000 is the normal end
    Status s = server_close_status(info.code, info.reason, true);
    if (!s.ok()) error_event(s, true);
    return finish(std::move(s));
  }
  connection_lost(server_close_status(info.code, info.reason, false));
}

void SttStream::Impl::on_ws_error(uint64_t gen, const WsErrorInfo &info) {
  if (gen != gen_ || state_ == State::kClosed) return;
  conn_.reset();
  if (info.status.code() == StatusCode::kTimeout) metrics_.timeout_for_ws_phase(info.phase).inc();
  Status cause = info.status;
  if (auto dg_error = find_header(info.headers, "dg-error"))
    cause = Status::from_external(cause.code(), cause.message() + "; dg-error", *dg_error);
  if (state_ == State::kClosing) {
    error_event(cause, true);
    return finish(std::move(cause));
  }
  connection_lost(std::move(cause), retry_after_from_headers(info.headers, Clock::system()));
}

}  // namespace voxline::speech
