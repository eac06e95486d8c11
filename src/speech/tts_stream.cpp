// TtsStream (see tts_stream.hpp): creation, the public operations, segments, events and the
// failure policy (recover by reconnecting for the next segment, or report the stream dead).
#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "speech/tts_stream_impl.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/utf8.hpp"

namespace voxline::speech {

using detail::OutItem;
using detail::PendingReply;
using detail::Segment;
using detail::TtsStreamImpl;

std::string TtsAudio::take() {
  if (owned_ != nullptr) return std::move(*owned_);
  std::string out(view_);
  view_ = {};
  return out;
}

const char *tts_op_name(TtsOp op) noexcept {
  switch (op) {
    case TtsOp::kOpen: return "open";
    case TtsOp::kSpeak: return "speak";
    case TtsOp::kFlush: return "flush";
    case TtsOp::kClear: return "clear";
    case TtsOp::kClose: return "close";
    case TtsOp::kLink: return "link";
  }
  return "link";
}

Result<std::shared_ptr<TtsStream>> TtsStream::create(std::shared_ptr<Slot> slot, const TtsStreamOptions &o,
                                                     std::shared_ptr<TtsStreamHandler> handler) {
  if (slot == nullptr) return invalid_argument("TtsStream: no slot");
  if (handler == nullptr) return invalid_argument("TtsStream: no handler");
  VOXLINE_ASSIGN_OR_RETURN(std::string ws_url, tts_speak_url(o.tts));
  VOXLINE_ASSIGN_OR_RETURN(std::string rest_url, tts_rest_url(o.tts));
  VOXLINE_ASSIGN_OR_RETURN(HttpHeader auth, authorization_header(o.auth));
  if (o.limits.chars_per_minute < 0 || o.limits.flushes_per_minute < 0)
    return invalid_argument("TtsStream: per-minute limits must not be negative");
  if (o.max_consecutive_failures < 1)
    return invalid_argument("TtsStream: max_consecutive_failures must be >= 1");
  for (Duration d :
       {o.deadlines.open, o.deadlines.speak, o.deadlines.flush, o.deadlines.clear, o.deadlines.close})
    if (d <= Duration::zero()) return invalid_argument("TtsStream: every deadline must be positive");
  // Masked in every log line and quoted error body from here on.
  VOXLINE_RETURN_IF_ERROR(default_logger().redactor().add_secret(o.auth.credential));
  auto s = std::make_shared<TtsStreamImpl>(std::move(slot), o, std::move(handler), std::move(ws_url),
                                           std::move(rest_url), std::move(auth));
  // The stream's state belongs to the slot thread: open from there (at once when already on it).
  if (s->slot_thread()) {
    s->start();
  } else {
    std::weak_ptr<TtsStreamImpl> w = s;
    VOXLINE_RETURN_IF_ERROR(s->post_start(w));
  }
  return std::shared_ptr<TtsStream>(std::move(s));
}

namespace detail {

TtsStreamImpl::TtsStreamImpl(std::shared_ptr<Slot> slot, const TtsStreamOptions &options,
                             std::shared_ptr<TtsStreamHandler> handler, std::string ws_url,
                             std::string rest_url, HttpHeader auth)
    : slot_(std::move(slot)),
      options_(options),
      handler_(std::move(handler)),
      ws_url_(std::move(ws_url)),
      rest_url_(std::move(rest_url)),
      auth_(std::move(auth)),
      metrics_(options.metrics != nullptr ? *options.metrics : MetricsRegistry::global()),
      linear16_(options.tts.encoding == AudioEncoding::kLinear16),
      char_budget_(options.limits.chars_per_minute, std::chrono::minutes(1)),
      flush_budget_(options.limits.flushes_per_minute, std::chrono::minutes(1)) {
  if (options_.back_pressure.resume_unacked_bytes == 0 ||
      options_.back_pressure.resume_unacked_bytes > options_.back_pressure.max_unacked_bytes)
    options_.back_pressure.resume_unacked_bytes = options_.back_pressure.max_unacked_bytes / 2;
}

TtsStreamImpl::~TtsStreamImpl() {
  for (TimerHandle *t :
       {&open_timer_, &progress_timer_, &clear_timer_, &outbox_timer_, &close_timer_, &rest_timer_})
    t->cancel();
  if (conn_) conn_->abort();
  if (http_) http_->cancel();
}

Status TtsStreamImpl::check_call(const char *what) const {
  if (!on_slot())
    return failed_precondition(fmt::format("TtsStream::{} must be called on the slot thread", what));
  if (closed_ || closing_)
    return failed_precondition(fmt::format("TtsStream::{}: the stream is closing", what));
  return Status::Ok();
}

Segment *TtsStreamImpl::find_segment(uint64_t id) {
  for (Segment &s : segments_)
    if (s.id == id) return &s;
  return nullptr;
}

size_t TtsStreamImpl::max_piece_chars() const {
  const int64_t budget = options_.limits.chars_per_minute;
  return budget > 0 ? std::min<size_t>(kMaxSpeakChars, static_cast<size_t>(budget)) : kMaxSpeakChars;
}

void TtsStreamImpl::emit_error(Status status, TtsOp op, std::vector<uint64_t> failed, bool fatal) {
  metrics_.error(status.code());
  stats_.segments_failed += failed.size();
  metrics_.segments_failed->inc(failed.size());
  TtsStreamError e{std::move(status), op, std::move(failed), fatal};
  emit([&](TtsStreamHandler &h) { h.on_error(*this, e); });
}

void TtsStreamImpl::emit_warning(std::string code, std::string description) {
  TtsStreamWarning w{std::move(code), std::move(description)};
  emit([&](TtsStreamHandler &h) { h.on_warning(*this, w); });
}

std::vector<uint64_t> TtsStreamImpl::take_all_segments() {
  std::vector<uint64_t> ids;
  ids.reserve(segments_.size());
  for (const Segment &s : segments_) ids.push_back(s.id);
  segments_.clear();
  outbox_.clear();
  stats_.pending_text_bytes = 0;
  have_carry_ = false;
  return ids;
}

// The front segment's audio is complete: tell the handler and start the next one's clock.
void TtsStreamImpl::complete_front(SteadyTime now) {
  Segment seg = std::move(segments_.front());
  segments_.pop_front();
  stats_.pending_text_bytes -= std::min(stats_.pending_text_bytes, seg.text.size());
  have_carry_ = false;  // half a sample at a segment's end is not playable
  consecutive_failures_ = 0;
  ++stats_.segments_flushed;
  metrics_.segments_flushed->inc();
  last_progress_ = now;
  TtsSegmentFlushed e{seg.id, seg.audio_bytes, seg.time_to_first_audio, seg.rest};
  emit([&](TtsStreamHandler &h) { h.on_flushed(*this, e); });
}

Result<uint64_t> TtsStreamImpl::speak(std::string_view text) {
  VOXLINE_RETURN_IF_ERROR(check_call("speak"));
  if (text.empty()) return invalid_argument("TtsStream::speak: empty text");
  if (!utf8_valid(text)) return invalid_argument("TtsStream::speak: text is not valid UTF-8");
  const bool new_segment = segments_.empty() || segments_.back().state != Segment::State::kOpen;
  if (new_segment && segments_.size() >= options_.limits.max_pending_segments)
    return queue_full(fmt::format("TtsStream::speak: {} segments pending", segments_.size()));
  const bool keep = mode_ == Mode::kRest || link_ != Link::kOpen;
  if (stats_.pending_text_bytes + text.size() > options_.limits.max_pending_text_bytes &&
      (keep || !outbox_.empty()))
    return queue_full(fmt::format("TtsStream::speak: {} bytes of text already held (max_pending_text_bytes)",
                                  stats_.pending_text_bytes));
  const SteadyTime now = std::chrono::steady_clock::now();
  // A REST spell ends at a segment boundary once websocket_retry_after has passed.
  if (mode_ == Mode::kRest && segments_.empty() && now >= rest_since_ + options_.websocket_retry_after) {
    mode_ = Mode::kWebsocket;
  }
  std::vector<std::string_view> pieces;
  if (mode_ == Mode::kWebsocket) {
    pieces = split_speak_text(text, max_piece_chars());
    // The character budget: all of the text must be able to go out within max_text_wait.
    if (!char_budget_.unlimited()) {
      int64_t chars = 0;
      for (char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      const Duration wait = char_budget_.wait_for(chars, now);
      const SteadyTime after = outbox_.empty() ? now : outbox_.back().ready_at;
      if (wait == Duration::max() || std::max(now + wait, after) - now > options_.limits.max_text_wait) {
        metrics_.rate_limited_chars->inc();
        return rate_limited(fmt::format(
            "TtsStream::speak: {} characters do not fit the budget of {} per minute within {} ms", chars,
            options_.limits.chars_per_minute,
            std::chrono::duration_cast<std::chrono::milliseconds>(options_.limits.max_text_wait).count()));
      }
    }
    if (link_ == Link::kNone) open_websocket();  // the socket died earlier: reconnect for this segment
  }
  if (new_segment) {
    Segment s;
    s.id = next_segment_++;
    s.rest = mode_ == Mode::kRest;
    segments_.push_back(std::move(s));
    ++stats_.segments_started;
  }
  Segment &seg = segments_.back();
  if (keep || mode_ == Mode::kRest) {
    seg.text.append(text.data(), text.size());
    stats_.pending_text_bytes += text.size();
  }
  for (std::string_view piece : pieces) {
    int64_t chars = 0;
    for (char c : piece) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    SteadyTime ready = now;
    if (!char_budget_.unlimited()) {
      ready = now + char_budget_.wait_for(chars, now);
      if (!outbox_.empty()) ready = std::max(ready, outbox_.back().ready_at);
      char_budget_.take(chars, ready);
    }
    if (ready <= now && outbox_.empty()) {
      VOXLINE_RETURN_IF_ERROR(send_speak(piece));
      continue;
    }
    metrics_.text_waits->inc();
    OutItem item;
    item.segment = seg.id;
    item.text.assign(piece.data(), piece.size());
    item.ready_at = ready;
    item.counted = !keep;  // kept text is counted once, in the segment
    if (item.counted) stats_.pending_text_bytes += piece.size();
    outbox_.push_back(std::move(item));
    arm_outbox_timer(now);
  }
  return seg.id;
}

Result<uint64_t> TtsStreamImpl::flush() {
  VOXLINE_RETURN_IF_ERROR(check_call("flush"));
  if (segments_.empty() || segments_.back().state != Segment::State::kOpen)
    return failed_precondition("TtsStream::flush: no open segment (speak first)");
  Segment &seg = segments_.back();
  const SteadyTime now = std::chrono::steady_clock::now();
  if (mode_ == Mode::kRest || seg.rest) {
    seg.state = Segment::State::kFlushed;
    const uint64_t id = seg.id;
    std::weak_ptr<TtsStreamImpl> w = weak_from_this();
    // Started from the loop, so a request that cannot start reports after flush() returned.
    (void)slot_->post([w] {
      if (auto self = w.lock()) self->pump_rest();
    });
    return id;
  }
  if (flush_budget_.wait_for(1, now) > Duration::zero()) {
    metrics_.rate_limited_flushes->inc();
    return rate_limited(
        fmt::format("TtsStream::flush: {} Flushes in the last 60 s (flushes_per_minute); the "
                    "segment stays open",
                    flush_budget_.used(now)));
  }
  flush_budget_.take(1, now);
  if (!outbox_.empty()) {
    seg.state = Segment::State::kFlushQueued;
    OutItem item;
    item.flush = true;
    item.segment = seg.id;
    item.ready_at = outbox_.back().ready_at;
    outbox_.push_back(std::move(item));
    return seg.id;
  }
  const uint64_t id = seg.id;
  VOXLINE_RETURN_IF_ERROR(send_flush(seg, now));
  return id;
}

Status TtsStreamImpl::clear() {
  if (!on_slot()) return failed_precondition("TtsStream::clear must be called on the slot thread");
  if (closed_) return failed_precondition("TtsStream::clear: the stream is closed");
  const bool had = !segments_.empty();
  std::vector<uint64_t> ids = take_all_segments();
  stats_.segments_cleared += ids.size();
  metrics_.segments_cleared->inc(ids.size());
  if (had) metrics_.clears->inc();
  if (!had || mode_ == Mode::kRest || link_ != Link::kOpen) {
    // Nothing pending, or nothing reached Deepgram's socket (REST, or still connecting):
    // cancelling locally is enough.
    cancel_rest();
    if (conn_ && link_ != Link::kOpen) {
      conn_->discard_queued();
      replies_.clear();  // their Flushes were never written
    }
    std::weak_ptr<TtsStreamImpl> w = weak_from_this();
    TtsSegmentsCleared e{std::move(ids), false};
    (void)slot_->post([w, e = std::move(e)] {
      if (auto self = w.lock()) self->emit([&](TtsStreamHandler &h) { h.on_cleared(*self, e); });
    });
    return Status::Ok();
  }
  // Queued Speak / Flush are dropped; Clear overtakes anything else on the priority lane.
  conn_->discard_queued();
  VOXLINE_RETURN_IF_ERROR(conn_->send_control_text(kTtsClear));
  PendingReply r;
  r.clear = true;
  r.cleared = std::move(ids);
  r.sent_at = std::chrono::steady_clock::now();
  replies_.push_back(std::move(r));
  ++clears_pending_;
  // Cleared must be readable even if the host has not acknowledged its (now dropped) audio.
  if (paused_) {
    conn_->resume_reading();
    paused_ = false;
    paused_flag_.store(false);
  }
  if (!clear_timer_.pending()) {
    std::weak_ptr<TtsStreamImpl> w = weak_from_this();
    auto t = slot_->schedule(options_.deadlines.clear, [w] {
      if (auto self = w.lock()) self->check_clear_deadline();
    });
    if (t.ok()) clear_timer_ = *t;
  }
  return Status::Ok();
}

Status TtsStreamImpl::close() {
  if (!on_slot()) return failed_precondition("TtsStream::close must be called on the slot thread");
  if (closed_ || closing_) return Status::Ok();
  closing_ = true;
  // An open segment was never flushed: its text is dropped with it.
  if (!segments_.empty() && segments_.back().state == Segment::State::kOpen) {
    const uint64_t id = segments_.back().id;
    stats_.pending_text_bytes -= std::min(stats_.pending_text_bytes, segments_.back().text.size());
    segments_.pop_back();
    outbox_.erase(
        std::remove_if(outbox_.begin(), outbox_.end(), [id](const OutItem &i) { return i.segment == id; }),
        outbox_.end());
  }
  std::weak_ptr<TtsStreamImpl> w = weak_from_this();
  auto t = slot_->schedule(options_.deadlines.close, [w] {
    if (auto self = w.lock()) {
      if (self->closed_) return;
      self->metrics_.timeout(TtsOp::kClose).inc();
      self->finish_close(
          timeout_error("TtsStream::close: the connection did not end within the close deadline"));
    }
  });
  if (t.ok()) close_timer_ = *t;
  (void)slot_->post([w] {
    if (auto self = w.lock()) self->maybe_send_close();
  });
  return Status::Ok();
}

// Closing: once nothing is pending, ends REST mode or sends Close (after everything queued).
void TtsStreamImpl::maybe_send_close() {
  if (!closing_ || closed_ || !segments_.empty() || !outbox_.empty()) return;
  if (mode_ == Mode::kRest || link_ == Link::kNone || !conn_) return finish_close(Status::Ok());
  if (link_ == Link::kConnecting) return finish_close(Status::Ok());
  Status s = conn_->send_text(kTtsClose);
  if (!s.ok()) finish_close(Status::Ok());
  // Deepgram then closes the socket (ws_ended); the close timer bounds the wait.
}

void TtsStreamImpl::finish_close(const Status &status) {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  for (TimerHandle *t :
       {&open_timer_, &progress_timer_, &clear_timer_, &outbox_timer_, &close_timer_, &rest_timer_})
    t->cancel();
  drop_connection();
  cancel_rest();
  std::vector<uint64_t> left = take_all_segments();
  if (!left.empty() || !status.ok()) {
    Status why =
        status.ok() ? unavailable("TtsStream: the connection closed before these segments' audio") : status;
    emit_error(why, TtsOp::kClose, std::move(left), !status.ok());
  }
  TtsStreamClosed e{status};
  std::shared_ptr<TtsStreamHandler> h = std::move(handler_);
  if (h) h->on_closed(*this, e);
}

bool TtsStreamImpl::retry_can_help(const Status &s) {
  switch (s.code()) {
    case StatusCode::kUnauthenticated:
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kUnsupported: return false;
    default: return true;
  }
}

// The connection failed after it opened (timeout, drop, server error): its segments get no
// more audio; the next speak() opens a new connection unless the stream is now dead.
void TtsStreamImpl::fail_link(const Status &status, TtsOp op) {
  if (closed_) return;
  if (status.code() == StatusCode::kTimeout) metrics_.timeout(op).inc();
  // Clears waiting for Cleared are complete: nothing can arrive on a dropped connection.
  std::vector<uint64_t> cleared;
  for (const PendingReply &r : replies_)
    if (r.clear) cleared.insert(cleared.end(), r.cleared.begin(), r.cleared.end());
  const bool had_clear = clears_pending_ > 0;
  drop_connection();
  std::vector<uint64_t> failed = take_all_segments();
  ++consecutive_failures_;
  const bool fatal = !retry_can_help(status) || consecutive_failures_ >= options_.max_consecutive_failures;
  if (had_clear) {
    TtsSegmentsCleared e{std::move(cleared), false};
    emit([&](TtsStreamHandler &h) { h.on_cleared(*this, e); });
  }
  emit_error(status, op, std::move(failed), fatal);
  if (fatal) return die(status);
  if (closing_) finish_close(Status::Ok());
}

void TtsStreamImpl::die(const Status &status) {
  if (closed_) return;
  closed_ = true;
  for (TimerHandle *t :
       {&open_timer_, &progress_timer_, &clear_timer_, &outbox_timer_, &close_timer_, &rest_timer_})
    t->cancel();
  drop_connection();
  cancel_rest();
  take_all_segments();
  TtsStreamClosed e{status};
  std::shared_ptr<TtsStreamHandler> h = std::move(handler_);
  if (h) h->on_closed(*this, e);
}

TtsStreamState TtsStreamImpl::state() const {
  if (closed_) return TtsStreamState::kClosed;
  if (closing_) return TtsStreamState::kClosing;
  if (mode_ == Mode::kRest) return TtsStreamState::kRest;
  if (link_ == Link::kConnecting) return TtsStreamState::kConnecting;
  if (link_ == Link::kOpen) return TtsStreamState::kOpen;
  return TtsStreamState::kIdle;
}

TtsStreamStats TtsStreamImpl::stats() const {
  TtsStreamStats s = stats_;
  const uint64_t d = delivered_.load(), a = acked_.load();
  s.unacked_bytes = d > a ? static_cast<size_t>(d - a) : 0;
  s.reading_paused = paused_;
  return s;
}

}  // namespace detail
}  // namespace voxline::speech
