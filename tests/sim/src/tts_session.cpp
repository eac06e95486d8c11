// Simulated Deepgram streaming TTS (/v1/speak, Aura v1 protocol): Metadata first, Speak
// accumulates text, Flush -> paced synthetic audio then Flushed, Clear -> queued audio dropped
// then Cleared, Close -> close 1000 at once (nothing queued is sent), unknown type -> close 1008.
#include <algorithm>
#include <cmath>
#include <deque>
#include <set>

#include <fmt/format.h>

#include "sim/src/audio.hpp"
#include "sim/src/ws_session.hpp"
#include "voxline/core/json.hpp"

namespace voxline::sim::detail {
namespace {

struct TtsConfig {
  std::string model = "aura-asteria-en";
  std::string encoding = "linear16";
  int sample_rate = 0;
};

std::string validate(const QueryParams &q, TtsConfig &cfg) {
  static const std::set<int> kRates = {8000, 16000, 24000, 32000, 48000};
  for (const auto &[k, v] : q) {
    if (k == "model") {
      if (v.empty()) return "Invalid value for 'model': must not be empty";
      cfg.model = v;
    } else if (k == "encoding") {
      if (v != "linear16" && v != "mulaw" && v != "alaw")
        return fmt::format(
            "Invalid value for 'encoding': '{}' (websocket TTS supports linear16, mulaw, alaw)", v);
      cfg.encoding = v;
    } else if (k == "sample_rate") {
      int rate = 0;
      try {
        rate = std::stoi(v);
      } catch (...) {
        rate = 0;
      }
      if (kRates.count(rate) == 0 || std::to_string(rate) != v)
        return fmt::format("Invalid value for 'sample_rate': '{}' (8000, 16000, 24000, 32000 or 48000)", v);
      cfg.sample_rate = rate;
    } else if (k == "container") {
      if (v != "none") return fmt::format("Invalid value for 'container': '{}' (websocket output is raw)", v);
    } else if (k == "bit_rate") {
      return "bit_rate is not supported for websocket TTS";
    }
    // Other parameters (speed, mip_opt_out, tag, ...) are accepted: /v1/speak is lenient.
  }
  if (cfg.sample_rate == 0) cfg.sample_rate = cfg.encoding == "linear16" ? 24000 : 8000;
  return {};
}

class TtsSession final : public WsSession {
 public:
  TtsSession(TtsConfig cfg, std::shared_ptr<const Scenario> sc, std::string request_id, bool never_flushed)
      : cfg_(std::move(cfg)),
        sc_(std::move(sc)),
        request_id_(std::move(request_id)),
        never_flushed_(never_flushed) {}

  std::vector<std::pair<std::string, std::string>> response_headers() const override {
    return {{"dg-request-id", request_id_}, {"dg-model-name", cfg_.model}};
  }

  void on_open() override {
    send_text(fmt::format(
        R"({{"type":"Metadata","request_id":"{}","model_name":{},"model_version":"2025-04-07.0","model_uuid":"e3a91c55-7d02-4b6f-8f1e-90c4d2b7a318"}})",
        request_id_, json::quote(cfg_.model)));
  }

  void on_message(bool binary, std::string_view data) override {
    if (binary) {
      queue_end(OutFrame::Kind::kClose, 1003,
                "MESSAGE-0000: binary messages are not accepted; send JSON text messages");
      return;
    }
    auto doc = json::parse(data);
    const json::Value *type = doc.ok() ? json::find(*doc, "type") : nullptr;
    if (type == nullptr || !type->IsString()) {
      queue_end(OutFrame::Kind::kClose, 1003, "MESSAGE-0000: the message could not be parsed");
      return;
    }
    std::string_view t = json::view(*type);
    if (t == "Speak") {
      const json::Value *text = json::find(*doc, "text");
      if (text == nullptr || !text->IsString()) {
        queue_end(OutFrame::Kind::kClose, 1008, "DATA-0000: Speak needs a string 'text'");
        return;
      }
      if (text->GetStringLength() > 2000)
        queue_text(
            R"({"type":"Warning","code":"TEXT_TOO_LONG","description":"Speak text longer than 2000 characters."})",
            now_ms, false);
      buffered_bytes_ += text->GetStringLength();
      if (over_char_limit(text->GetStringLength())) queue_end(OutFrame::Kind::kDrop, 0);  // as Deepgram does
      return;
    }
    if (t == "Flush") {
      flush();
      return;
    }
    if (t == "Clear") {
      clear();
      return;
    }
    if (t == "Close") {
      // Deepgram closes at once: queued audio, a pending Flushed and buffered text are dropped
      // (replies already due, such as Metadata or a Warning, still go out first).
      drop_audio();
      buffered_bytes_ = 0;
      queue_end(OutFrame::Kind::kClose, 1000);
      return;
    }
    queue_end(OutFrame::Kind::kClose, 1008,
              fmt::format("DATA-0000: unknown message type '{}'", t).substr(0, 123));
  }

  // Asks the glue to call on_timer() at once while frames wait in pending_ and `out` has room.
  int64_t wakeup_ms() const override { return !pending_.empty() && out.size() < kWindow ? now_ms : -1; }
  void on_timer() override { top_up(); }

 private:
  // At most this many frames are rendered ahead into `out`; the rest of an utterance stays a
  // few numbers in pending_, so memory per connection does not grow with the audio queued.
  static constexpr size_t kWindow = 8;

  // Playback order after the frames already in `out`: a flushed utterance (rendered frame by
  // frame when it is about to go out) or a text / close / drop frame that follows it.
  struct Pending {
    OutFrame::Kind kind = OutFrame::Kind::kBinary;
    // kBinary: the utterance's first sample index, its size and the bytes already rendered.
    uint64_t cursor = 0;
    size_t total = 0, offset = 0;
    double t = 0;  // due time of the next frame (fractional ms)
    // kText / kClose: payload (close: reason), close code, due time; `audio` = dropped by Clear.
    std::string payload;
    int close_code = 0;
    int64_t due_ms = 0;
    bool audio = false;
  };

  size_t chunk_bytes() const {
    const TtsScript &s = sc_->tts;
    const size_t chunk =
        s.chunk_bytes > 0
            ? static_cast<size_t>(s.chunk_bytes)
            : static_cast<size_t>(s.chunk_ms * cfg_.sample_rate / 1000 * bytes_per_sample(cfg_.encoding));
    return std::max<size_t>(1, chunk);
  }
  double bytes_per_ms() const {
    return static_cast<double>(cfg_.sample_rate * bytes_per_sample(cfg_.encoding)) / 1000.0;
  }

  // Due time after everything queued (frames in `out`, then pending_).
  int64_t tail_due() const {
    if (pending_.empty()) return last_due();
    const Pending &p = pending_.back();
    return std::max(now_ms, p.kind == OutFrame::Kind::kBinary ? static_cast<int64_t>(end_time(p)) : p.due_ms);
  }
  // Due time just after the last frame of an utterance (as the frames' own times accumulate).
  double end_time(const Pending &p) const {
    const double factor = sc_->tts.realtime_factor;
    if (factor <= 0) return p.t;
    const size_t chunk = chunk_bytes();
    double t = p.t;
    for (size_t off = p.offset; off < p.total; off += chunk)
      t += static_cast<double>(std::min(chunk, p.total - off)) / bytes_per_ms() / factor;
    return t;
  }

  void queue_text(std::string payload, int64_t due_ms, bool audio) {
    if (pending_.empty()) {
      out.push_back({OutFrame::Kind::kText, std::move(payload), 0, due_ms, audio ? "audio" : ""});
      return;
    }
    Pending p;
    p.kind = OutFrame::Kind::kText;
    p.payload = std::move(payload);
    p.due_ms = due_ms;
    p.audio = audio;
    pending_.push_back(std::move(p));
  }
  // The session's last frame: a close (code, reason) or a cut, after everything queued before it.
  void queue_end(OutFrame::Kind kind, int code, std::string reason = {}, int64_t due_ms = -1) {
    if (due_ms < 0) due_ms = now_ms;
    finished = true;
    if (pending_.empty()) {
      out.push_back({kind, std::move(reason), code, due_ms, {}});
      return;
    }
    Pending p;
    p.kind = kind;
    p.payload = std::move(reason);
    p.close_code = code;
    p.due_ms = due_ms;
    pending_.push_back(std::move(p));
  }

  // Renders pending items into `out` until it holds kWindow frames.
  void top_up() {
    const size_t chunk = chunk_bytes();
    const int bps = bytes_per_sample(cfg_.encoding);
    const TtsScript &s = sc_->tts;
    while (out.size() < kWindow && !pending_.empty()) {
      Pending &p = pending_.front();
      if (p.kind != OutFrame::Kind::kBinary) {
        out.push_back({p.kind, std::move(p.payload), p.close_code, p.due_ms, p.audio ? "audio" : ""});
        pending_.pop_front();
        continue;
      }
      // Bytes [offset, offset + len) of the utterance; a chunk may split a sample.
      const size_t len = std::min(chunk, p.total - p.offset);
      const size_t first = p.offset / static_cast<size_t>(bps);
      const size_t last = (p.offset + len + static_cast<size_t>(bps) - 1) / static_cast<size_t>(bps);
      uint64_t cursor = p.cursor + first;
      std::string piece = synth_audio(cfg_.encoding, cfg_.sample_rate, static_cast<int64_t>(last - first),
                                      s.waveform, s.tone_hz, &cursor);
      piece = piece.substr(p.offset % static_cast<size_t>(bps), len);
      out.push_back({OutFrame::Kind::kBinary, std::move(piece), 0, static_cast<int64_t>(p.t), "audio"});
      if (s.realtime_factor > 0) p.t += static_cast<double>(len) / bytes_per_ms() / s.realtime_factor;
      p.offset += len;
      if (p.offset >= p.total) pending_.pop_front();
    }
  }

  bool over_char_limit(size_t chars) {
    const int64_t limit = sc_->tts.char_limit_per_minute;
    if (limit <= 0) return false;
    while (!char_log_.empty() && char_log_.front().first <= now_ms - 60000) {
      chars_in_window_ -= char_log_.front().second;
      char_log_.pop_front();
    }
    char_log_.emplace_back(now_ms, static_cast<int64_t>(chars));
    chars_in_window_ += static_cast<int64_t>(chars);
    return chars_in_window_ > limit;
  }

  void flush() {
    const TtsScript &s = sc_->tts;
    while (!flush_times_.empty() && flush_times_.front() <= now_ms - 60000) flush_times_.pop_front();
    if (s.flush_limit_per_minute > 0 &&
        static_cast<int64_t>(flush_times_.size()) >= s.flush_limit_per_minute) {
      queue_text(
          R"({"type":"Warning","code":"FLUSH_LIMIT","description":"Flush limit reached; further Flush messages are ignored until the window resets.","warn_code":"FLUSH_LIMIT","warn_msg":"Flush limit reached"})",
          now_ms, false);
      return;
    }
    flush_times_.push_back(now_ms);
    const double ms = static_cast<double>(buffered_bytes_) * s.ms_per_char;
    const int64_t samples = static_cast<int64_t>(std::llround(ms * cfg_.sample_rate / 1000.0));
    buffered_bytes_ = 0;
    double t = static_cast<double>(std::max(tail_due(), now_ms + s.first_audio_delay_ms));
    if (samples > 0) {
      // Audio is rendered frame by frame in top_up(); only the cursor is reserved now, so the
      // same text gives the same bytes and consecutive flushes form one continuous signal.
      Pending p;
      p.kind = OutFrame::Kind::kBinary;
      p.cursor = cursor_;
      p.total = static_cast<size_t>(samples) * static_cast<size_t>(bytes_per_sample(cfg_.encoding));
      p.t = t;
      cursor_ += static_cast<uint64_t>(samples);
      t = end_time(p);
      pending_.push_back(std::move(p));
    }
    if (!never_flushed_)
      queue_text(fmt::format(R"({{"type":"Flushed","sequence_id":{}}})", sequence_++),
                 static_cast<int64_t>(t), true);
  }

  // Drops queued audio and pending Flushed replies; returns how many Flushed were dropped. What
  // survives (warnings queued behind the audio) stays in `out`, in order.
  int64_t drop_audio() {
    int64_t dropped_flushed = 0;
    for (const OutFrame &f : out)
      if (f.tag == "audio" && f.kind == OutFrame::Kind::kText) ++dropped_flushed;
    out.erase(std::remove_if(out.begin(), out.end(), [](const OutFrame &f) { return f.tag == "audio"; }),
              out.end());
    for (const Pending &p : pending_)
      if (p.audio && p.kind == OutFrame::Kind::kText) ++dropped_flushed;
    for (Pending &p : pending_)
      if (p.kind != OutFrame::Kind::kBinary && !p.audio)
        out.push_back({p.kind, std::move(p.payload), p.close_code, p.due_ms, {}});
    pending_.clear();
    return dropped_flushed;
  }

  void clear() {
    buffered_bytes_ = 0;
    // Dropped Flushed frames never reached the client, so their ids (the newest) are reused.
    sequence_ -= drop_audio();
    send_text(fmt::format(R"({{"type":"Cleared","sequence_id":{}}})", sequence_++));
  }

  TtsConfig cfg_;
  std::shared_ptr<const Scenario> sc_;
  std::string request_id_;
  bool never_flushed_;
  size_t buffered_bytes_ = 0;  // Speak text since the last Flush/Clear (only its length matters)
  std::deque<Pending> pending_;
  std::deque<int64_t> flush_times_;
  std::deque<std::pair<int64_t, int64_t>> char_log_;  // (time, characters) of Speak messages in the window
  int64_t chars_in_window_ = 0;
  uint64_t cursor_ = 0;
  int64_t sequence_ = 0;
};

}  // namespace

SessionOrReject make_tts_session(const QueryParams &query, std::shared_ptr<const Scenario> scenario,
                                 std::string request_id, bool never_flushed) {
  SessionOrReject r;
  TtsConfig cfg;
  cfg.model = scenario->tts.model_name;
  std::string err = validate(query, cfg);
  if (!err.empty()) {
    r.status = 400;
    r.error = err;
    return r;
  }
  r.session =
      std::make_unique<TtsSession>(std::move(cfg), std::move(scenario), std::move(request_id), never_flushed);
  return r;
}

}  // namespace voxline::sim::detail
