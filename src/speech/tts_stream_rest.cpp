// TtsStream's REST fallback: when the websocket cannot be opened, flushed segments are
// synthesised one at a time with POST /v1/speak (container=none, so the body is raw audio),
// each request at most kMaxSpeakChars of text, its body streamed to the handler as it arrives.
#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "speech/tts_stream_impl.hpp"
#include "voxline/core/json.hpp"

namespace voxline::speech::detail {

namespace {

class RestAdapter final : public HttpStreamHandler {
 public:
  RestAdapter(std::weak_ptr<TtsStreamImpl> stream, uint64_t gen) : stream_(std::move(stream)), gen_(gen) {}
  void on_data(HttpStream &, std::string_view chunk) override {
    if (auto s = stream_.lock()) s->rest_data(gen_, chunk);
  }
  void on_complete(HttpStream &, const HttpCompletion &c) override {
    if (auto s = stream_.lock()) s->rest_complete(gen_, c);
  }

 private:
  std::weak_ptr<TtsStreamImpl> stream_;
  uint64_t gen_;
};

int64_t code_points(std::string_view s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

void TtsStreamImpl::switch_to_rest(const Status &why) {
  mode_ = Mode::kRest;
  rest_since_ = std::chrono::steady_clock::now();
  metrics_.rest_fallbacks->inc();
  replies_.clear();
  clears_pending_ = 0;
  outbox_.clear();  // the text of every segment is kept in the segment while the socket is not open
  for (Segment &s : segments_) {
    s.rest = true;
    if (s.state == Segment::State::kFlushQueued)
      s.state = Segment::State::kFlushed;  // its Flush was held back
  }
  emit_error(why.with_context("TTS websocket could not be opened; using REST /v1/speak"), TtsOp::kOpen, {},
             false);
  if (!closed_) pump_rest();
}

void TtsStreamImpl::cancel_rest() {
  ++rest_gen_;
  rest_timer_.cancel();
  if (http_) http_->cancel();
  http_.reset();
}

// Starts the next request when none is running: the rest of the front segment's text, if it is
// flushed; a segment whose text is all synthesised is complete.
void TtsStreamImpl::pump_rest() {
  while (!closed_ && !http_ && !segments_.empty() && segments_.front().rest &&
         segments_.front().state == Segment::State::kFlushed) {
    Segment &seg = segments_.front();
    const std::string_view rest = std::string_view(seg.text).substr(seg.rest_offset);
    if (rest.empty()) {
      complete_front(std::chrono::steady_clock::now());
      continue;
    }
    const std::string_view piece = split_speak_text(rest, max_piece_chars()).front();
    const SteadyTime now = std::chrono::steady_clock::now();
    const Duration wait = char_budget_.wait_for(code_points(piece), now);
    if (wait > Duration::zero()) {
      if (rest_timer_.pending()) return;
      std::weak_ptr<TtsStreamImpl> w = weak_from_this();
      auto t = slot_->schedule(wait, [w] {
        if (auto self = w.lock()) self->pump_rest();
      });
      if (t.ok()) rest_timer_ = *t;
      return;
    }
    char_budget_.take(code_points(piece), now);
    HttpRequest req;
    req.method = "POST";
    req.url = rest_url_;
    req.headers = {auth_, {"Content-Type", "application/json"}};
    req.body = R"({"text":)" + json::quote(piece) + "}";
    req.timeouts.connect = options_.deadlines.open;
    req.timeouts.first_byte = options_.deadlines.speak;
    req.timeouts.idle = options_.deadlines.flush;
    req.timeouts.total = std::chrono::minutes(5);  // backstop: a 2000-character answer is about 2 minutes
    const uint64_t gen = ++rest_gen_;
    auto r = slot_->start_http(std::move(req), std::make_shared<RestAdapter>(weak_from_this(), gen));
    ++stats_.rest_requests;
    metrics_.rest_requests->inc();
    if (!r.ok()) {
      HttpCompletion c;
      c.status = r.status();
      c.phase = "start";
      return rest_complete(gen, c);
    }
    http_ = std::move(*r);
    rest_piece_bytes_ = piece.size();
    if (!seg.got_audio) seg.flushed_at = now;
  }
  if (closing_) maybe_send_close();
}

void TtsStreamImpl::rest_data(uint64_t gen, std::string_view chunk) {
  if (gen != rest_gen_ || closed_ || segments_.empty() || chunk.empty()) return;
  deliver(segments_.front(), chunk, nullptr, true);
}

void TtsStreamImpl::rest_complete(uint64_t gen, const HttpCompletion &c) {
  if (gen != rest_gen_ || closed_) return;
  http_.reset();
  if (segments_.empty()) return;
  Segment &seg = segments_.front();
  if (c.status.ok()) {
    seg.rest_offset += rest_piece_bytes_;
    return pump_rest();
  }
  TtsOp op = TtsOp::kLink;
  if (c.status.code() == StatusCode::kTimeout) {
    op = c.phase == "first_byte" || c.phase == "connect" ? TtsOp::kSpeak : TtsOp::kFlush;
    metrics_.timeout(op).inc();
  }
  Status why = c.status;
  if (c.http_status >= 400 && !c.error_body.empty())
    why = Status::from_external(
        c.status.code(), fmt::format("Deepgram REST /v1/speak answered {}", c.http_status), c.error_body);
  const uint64_t id = seg.id;
  stats_.pending_text_bytes -= std::min(stats_.pending_text_bytes, seg.text.size());
  segments_.pop_front();
  have_carry_ = false;
  ++consecutive_failures_;
  const bool fatal = !retry_can_help(why) || consecutive_failures_ >= options_.max_consecutive_failures;
  emit_error(why, op, {id}, fatal);
  if (fatal) return die(why);
  pump_rest();
}

}  // namespace voxline::speech::detail
