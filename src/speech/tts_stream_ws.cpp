// TtsStream over the `/v1/speak` websocket: opening, Speak / Flush sending (with the character
// budget's outbox), Flushed / Cleared matching, audio attribution, the speak / flush / clear
// deadlines and the read pause for back-pressure.
#include <algorithm>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "speech/tts_stream_impl.hpp"
#include "voxline/speech/deepgram_close.hpp"

namespace voxline::speech::detail {

namespace {

// The Runtime's view of one connection; events of a replaced connection carry an old
// generation and are ignored by the stream.
class WsAdapter final : public WsHandler {
 public:
  WsAdapter(std::weak_ptr<TtsStreamImpl> stream, uint64_t gen) : stream_(std::move(stream)), gen_(gen) {}
  void on_open(WsConnection &, const WsOpenInfo &) override {
    if (auto s = stream_.lock()) s->ws_open(gen_);
  }
  void on_message(WsConnection &, WsMessage &m) override {
    if (auto s = stream_.lock()) s->ws_message(gen_, m);
  }
  void on_close(WsConnection &, const WsCloseInfo &info) override {
    if (auto s = stream_.lock())
      s->ws_ended(gen_, status_from_deepgram_close(info.code, info.reason),
                  info.code == 1000 || info.code == 1005);
  }
  void on_error(WsConnection &, const WsErrorInfo &info) override {
    if (auto s = stream_.lock()) s->ws_ended(gen_, info.status, false);
  }

 private:
  std::weak_ptr<TtsStreamImpl> stream_;
  uint64_t gen_;
};

int64_t ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

void TtsStreamImpl::start() {
  if (closed_ || link_ != Link::kNone || mode_ != Mode::kWebsocket || stats_.connections > 0) return;
  open_websocket();
}

void TtsStreamImpl::open_websocket() {
  drop_connection();
  WsConnectOptions o;
  o.url = ws_url_;
  o.headers = {auth_};
  // The stream's own open timer is the deadline; these are backstops of the same length.
  o.timeouts.connect = options_.deadlines.open;
  o.timeouts.handshake = options_.deadlines.open;
  o.timeouts.close = options_.deadlines.close;
  const uint64_t gen = ++conn_gen_;
  replies_received_ = 0;
  sequence_warned_ = stray_warned_ = false;
  auto r = slot_->connect_websocket(o, std::make_shared<WsAdapter>(weak_from_this(), gen));
  ++stats_.connections;
  if (stats_.connections > 1) metrics_.reconnects->inc();
  std::weak_ptr<TtsStreamImpl> w = weak_from_this();
  if (!r.ok()) {
    link_ = Link::kConnecting;  // reported from the loop, never inside the caller's call
    Status why = r.status();
    (void)slot_->post([w, gen, why] {
      if (auto self = w.lock())
        if (gen == self->conn_gen_) self->open_failed(why);
    });
    return;
  }
  conn_ = std::move(*r);
  link_ = Link::kConnecting;
  auto t = slot_->schedule(options_.deadlines.open, [w, gen] {
    auto self = w.lock();
    if (!self || gen != self->conn_gen_ || self->link_ != Link::kConnecting) return;
    self->metrics_.timeout(TtsOp::kOpen).inc();
    self->open_failed(timeout_error(
        fmt::format("TTS websocket did not open within {} ms", ms(self->options_.deadlines.open))));
  });
  if (t.ok()) open_timer_ = *t;
}

void TtsStreamImpl::drop_connection() {
  ++conn_gen_;  // late events of the old connection are ignored
  if (conn_) conn_->abort();
  conn_.reset();
  link_ = Link::kNone;
  paused_ = false;
  paused_flag_.store(false);
  replies_.clear();
  clears_pending_ = 0;
  open_timer_.cancel();
  progress_timer_.cancel();
  clear_timer_.cancel();
  outbox_timer_.cancel();
}

void TtsStreamImpl::ws_open(uint64_t gen) {
  if (gen != conn_gen_ || closed_) return;
  open_timer_.cancel();
  link_ = Link::kOpen;
  // The text is on its way to Deepgram now; REST could no longer take these segments over.
  size_t held = 0;
  for (Segment &s : segments_) {
    held += s.text.size();
    s.text.clear();
    s.text.shrink_to_fit();
  }
  stats_.pending_text_bytes -= std::min(stats_.pending_text_bytes, held);
  last_progress_ = std::chrono::steady_clock::now();
  arm_progress_timer(options_.deadlines.speak);
}

// Before the open: REST takes over (or the segments fail). After it: the link failed.
void TtsStreamImpl::open_failed(const Status &status) {
  if (closed_) return;
  drop_connection();
  ++consecutive_failures_;
  const bool fatal = !retry_can_help(status) ||
                     (!options_.rest_fallback && consecutive_failures_ >= options_.max_consecutive_failures);
  if (fatal || !options_.rest_fallback) {
    std::vector<uint64_t> failed = take_all_segments();
    emit_error(status, TtsOp::kOpen, std::move(failed), fatal);
    if (fatal) return die(status);
    if (closing_) finish_close(Status::Ok());
    return;
  }
  switch_to_rest(status);
}

void TtsStreamImpl::ws_ended(uint64_t gen, const Status &status, bool normal_close) {
  if (gen != conn_gen_ || closed_) return;
  const bool was_open = link_ == Link::kOpen;
  conn_.reset();
  if (!was_open)
    return open_failed(status.ok() ? unavailable("TTS websocket closed before it opened") : status);
  if (closing_) return finish_close(Status::Ok());
  if (segments_.empty() && clears_pending_ == 0 && (status.ok() || normal_close)) {
    // An idle socket Deepgram closed: the next speak() reconnects, nothing was lost.
    drop_connection();
    emit_warning("LINK_CLOSED", "Deepgram closed the idle TTS socket; the next segment reconnects");
    return;
  }
  fail_link(status.ok() ? unavailable("Deepgram closed the TTS socket with segments pending") : status,
            TtsOp::kLink);
}

Status TtsStreamImpl::send_speak(std::string_view piece) {
  VOXLINE_ASSIGN_OR_RETURN(std::string msg, speak_message(piece));
  if (!conn_) return Status::Ok();  // the open is failing: the segment keeps its text for REST
  return conn_->send(WsBuffer::copy_of(msg), WsMessageType::kText);
}

Status TtsStreamImpl::send_flush(Segment &seg, SteadyTime now) {
  if (conn_) VOXLINE_RETURN_IF_ERROR(conn_->send_text(kTtsFlush));  // else REST takes the segment
  seg.state = Segment::State::kFlushed;
  seg.flushed_at = now;
  PendingReply r;
  r.segment = seg.id;
  r.sent_at = now;
  replies_.push_back(std::move(r));
  if (&seg == &segments_.front()) last_progress_ = std::max(last_progress_, now);
  arm_progress_timer(options_.deadlines.speak);
  return Status::Ok();
}

void TtsStreamImpl::arm_outbox_timer(SteadyTime now) {
  if (outbox_timer_.pending() || outbox_.empty()) return;
  std::weak_ptr<TtsStreamImpl> w = weak_from_this();
  auto t = slot_->schedule(outbox_.front().ready_at - now, [w] {
    if (auto self = w.lock()) self->pump_outbox();
  });
  if (t.ok()) outbox_timer_ = *t;
}

// Sends what the character budget allows now, in order.
void TtsStreamImpl::pump_outbox() {
  if (closed_ || mode_ != Mode::kWebsocket) return;
  const SteadyTime now = std::chrono::steady_clock::now();
  while (!outbox_.empty() && outbox_.front().ready_at <= now) {
    OutItem item = std::move(outbox_.front());
    outbox_.pop_front();
    Status s;
    if (item.flush) {
      Segment *seg = find_segment(item.segment);
      if (seg != nullptr) s = send_flush(*seg, now);
    } else {
      if (item.counted) stats_.pending_text_bytes -= std::min(stats_.pending_text_bytes, item.text.size());
      s = send_speak(item.text);
    }
    if (!s.ok()) return fail_link(s, TtsOp::kSpeak);
  }
  arm_outbox_timer(now);
  if (closing_) maybe_send_close();
}

void TtsStreamImpl::ws_message(uint64_t gen, WsMessage &m) {
  if (gen != conn_gen_ || closed_) return;
  if (!m.is_text()) return on_audio_frame(m);
  TtsEvent ev = decoder_.decode(m.data());
  if (auto *f = std::get_if<TtsFlushed>(&ev)) return on_flushed_reply(f->sequence_id);
  if (auto *c = std::get_if<TtsCleared>(&ev)) return on_cleared_reply(c->sequence_id);
  if (auto *w = std::get_if<ServerWarning>(&ev)) return emit_warning(w->code, w->description);
  if (auto *e = std::get_if<ServerError>(&ev)) {
    if (e->origin == ServerError::Origin::kServer) return fail_link(e->status, TtsOp::kLink);
    return emit_error(e->status, TtsOp::kLink, {}, false);  // the deadlines catch a lost reply
  }
  if (auto *u = std::get_if<UnknownMessage>(&ev))
    emit_warning("UNKNOWN_MESSAGE", "Deepgram sent type " + u->type);
}

void TtsStreamImpl::check_sequence(std::optional<int64_t> sequence_id) {
  const int64_t expected = replies_received_++;
  if (!sequence_id || *sequence_id == expected) return;
  metrics_.sequence_mismatches->inc();
  if (sequence_warned_) return;
  sequence_warned_ = true;
  emit_warning("SEQUENCE_ID",
               fmt::format("reply sequence_id {} where {} was expected; replies are matched by order",
                           *sequence_id, expected));
}

void TtsStreamImpl::on_flushed_reply(std::optional<int64_t> sequence_id) {
  check_sequence(sequence_id);
  if (replies_.empty() || replies_.front().clear)
    return emit_warning("UNEXPECTED_FLUSHED", "a Flushed arrived with no Flush waiting for it");
  const uint64_t id = replies_.front().segment;
  replies_.pop_front();
  const SteadyTime now = std::chrono::steady_clock::now();
  last_progress_ = now;
  // A segment cleared after its Flush may still get its Flushed: nothing to report then.
  if (segments_.empty() || segments_.front().id != id || segments_.front().state != Segment::State::kFlushed)
    return;
  complete_front(now);
  if (!closed_) arm_progress_timer(options_.deadlines.speak);
  if (closing_) maybe_send_close();
}

void TtsStreamImpl::on_cleared_reply(std::optional<int64_t> sequence_id) {
  check_sequence(sequence_id);
  // Flushes written before the Clear are answered by this Cleared (their Flushed may never come).
  auto it = std::find_if(replies_.begin(), replies_.end(), [](const PendingReply &r) { return r.clear; });
  if (it == replies_.end())
    return emit_warning("UNEXPECTED_CLEARED", "a Cleared arrived with no Clear waiting");
  TtsSegmentsCleared e{std::move(it->cleared), true};
  replies_.erase(replies_.begin(), it + 1);
  --clears_pending_;
  last_progress_ = std::chrono::steady_clock::now();
  emit([&](TtsStreamHandler &h) { h.on_cleared(*this, e); });
  if (closed_) return;
  arm_progress_timer(options_.deadlines.speak);
  if (closing_) maybe_send_close();
}

void TtsStreamImpl::on_audio_frame(WsMessage &m) {
  const size_t n = m.size();
  if (n == 0) return;
  if (clears_pending_ > 0) {  // audio between Clear and Cleared predates the Clear
    stats_.cleared_audio_bytes += n;
    metrics_.cleared_audio_bytes->inc(n);
    return;
  }
  if (segments_.empty()) {
    if (!stray_warned_) {
      stray_warned_ = true;
      emit_warning("STRAY_AUDIO", "audio arrived with no segment pending; dropped");
    }
    return;
  }
  Segment &seg = segments_.front();
  std::string payload = m.take();  // moved, not copied
  deliver(seg, payload, &payload, false);
}

// Hands one chunk of `seg` to the handler: whole samples only for linear16, credit counted.
void TtsStreamImpl::deliver(Segment &seg, std::string_view view, std::string *owned, bool rest) {
  const SteadyTime now = std::chrono::steady_clock::now();
  last_progress_ = now;
  if (!seg.got_audio) {
    seg.got_audio = true;
    seg.time_to_first_audio = seg.state == Segment::State::kFlushed && now > seg.flushed_at
                                  ? now - seg.flushed_at
                                  : Duration::zero();
    metrics_.time_to_first_audio_ms->observe(
        std::chrono::duration<double, std::milli>(seg.time_to_first_audio).count());
  }
  if (linear16_ && (have_carry_ || view.size() % 2 != 0)) {
    // Rare (chunks normally hold whole samples): join the carried byte and keep an odd tail.
    carry_buf_.clear();
    if (have_carry_) carry_buf_.push_back(carry_);
    carry_buf_.append(view.data(), view.size());
    have_carry_ = carry_buf_.size() % 2 != 0;
    if (have_carry_) {
      carry_ = carry_buf_.back();
      carry_buf_.pop_back();
    }
    owned = &carry_buf_;
    view = carry_buf_;
  }
  const size_t n = view.size();
  if (n == 0) return;
  seg.audio_bytes += n;
  stats_.audio_bytes += n;
  (rest ? metrics_.rest_audio_bytes : metrics_.ws_audio_bytes)->inc(n);
  TtsAudio chunk(seg.id, rest, view, owned);
  emit([&](TtsStreamHandler &h) { h.on_audio(*this, chunk); });
  const size_t max = options_.back_pressure.max_unacked_bytes;
  if (max == 0) {
    delivered_.fetch_add(n);
    acked_.fetch_add(n);
    return;
  }
  const uint64_t d = delivered_.fetch_add(n) + n, a = acked_.load();
  const uint64_t unacked = d > a ? d - a : 0;
  metrics_.unacked_high_water->update_max(static_cast<int64_t>(unacked));
  if (unacked > max && !paused_ && conn_ && !rest) {
    conn_->pause_reading();
    paused_ = true;
    paused_flag_.store(true);
    ++stats_.read_pauses;
    metrics_.read_pauses->inc();
    resume_if_credit();  // an ack may have raced the pause
  }
}

void TtsStreamImpl::ack_audio(size_t bytes) noexcept {
  const uint64_t a = acked_.fetch_add(bytes) + bytes, d = delivered_.load();
  if (!paused_flag_.load()) return;
  if ((d > a ? d - a : 0) > options_.back_pressure.resume_unacked_bytes) return;
  if (resume_posted_.exchange(true)) return;
  std::weak_ptr<TtsStreamImpl> w = weak_from_this();
  Status s = slot_->post([w] {
    if (auto self = w.lock()) {
      self->resume_posted_.store(false);
      self->resume_if_credit();
    }
  });
  if (!s.ok()) resume_posted_.store(false);
}

void TtsStreamImpl::resume_if_credit() {
  if (!paused_) return;
  const uint64_t d = delivered_.load(), a = acked_.load();
  if ((d > a ? d - a : 0) > options_.back_pressure.resume_unacked_bytes) return;
  paused_ = false;
  paused_flag_.store(false);
  if (conn_) conn_->resume_reading();
  last_progress_ = std::chrono::steady_clock::now();  // the deadlines did not run while paused
  arm_progress_timer(options_.deadlines.speak);
}

void TtsStreamImpl::arm_progress_timer(Duration in) {
  if (progress_timer_.pending() || closed_) return;
  std::weak_ptr<TtsStreamImpl> w = weak_from_this();
  auto t = slot_->schedule(in, [w] {
    if (auto self = w.lock()) self->check_progress();
  });
  if (t.ok()) progress_timer_ = *t;
}

// The speak and flush deadlines: the front segment, once flushed, must make progress (its first
// audio within `speak`, then no gap longer than `flush` until its Flushed). One lazy timer,
// re-armed from the last progress, so audio chunks never touch a timer.
void TtsStreamImpl::check_progress() {
  if (closed_ || link_ != Link::kOpen || paused_ || clears_pending_ > 0 || segments_.empty()) return;
  const Segment &seg = segments_.front();
  if (seg.state != Segment::State::kFlushed) return;
  const Duration limit = seg.got_audio ? options_.deadlines.flush : options_.deadlines.speak;
  const SteadyTime base = std::max(last_progress_, seg.flushed_at);
  const SteadyTime now = std::chrono::steady_clock::now();
  if (now < base + limit) return arm_progress_timer(base + limit - now);
  const TtsOp op = seg.got_audio ? TtsOp::kFlush : TtsOp::kSpeak;
  fail_link(timeout_error(fmt::format(seg.got_audio ? "TTS segment {}: no audio or Flushed for {} ms"
                                                    : "TTS segment {}: no audio {} ms after its Flush",
                                      seg.id, ms(limit))),
            op);
}

void TtsStreamImpl::check_clear_deadline() {
  if (closed_ || clears_pending_ == 0) return;
  auto it = std::find_if(replies_.begin(), replies_.end(), [](const PendingReply &r) { return r.clear; });
  if (it == replies_.end()) return;
  const SteadyTime now = std::chrono::steady_clock::now();
  const SteadyTime due = it->sent_at + options_.deadlines.clear;
  if (now < due) {
    std::weak_ptr<TtsStreamImpl> w = weak_from_this();
    auto t = slot_->schedule(due - now, [w] {
      if (auto self = w.lock()) self->check_clear_deadline();
    });
    if (t.ok()) clear_timer_ = *t;
    return;
  }
  fail_link(timeout_error(fmt::format("TTS Clear: no Cleared within {} ms", ms(options_.deadlines.clear))),
            TtsOp::kClear);
}

}  // namespace voxline::speech::detail
