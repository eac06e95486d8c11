// Simulated Deepgram streaming TTS (/v1/speak, Aura v1 protocol): Metadata first, Speak
// accumulates text, Flush -> paced synthetic audio then Flushed, Clear -> queued audio dropped
// then Cleared, Close -> drain then close 1000, unknown type -> close 1008.
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
      send_close(1003, "MESSAGE-0000: binary messages are not accepted; send JSON text messages");
      return;
    }
    auto doc = json::parse(data);
    const json::Value *type = doc.ok() ? json::find(*doc, "type") : nullptr;
    if (type == nullptr || !type->IsString()) {
      send_close(1003, "MESSAGE-0000: the message could not be parsed");
      return;
    }
    std::string_view t = json::view(*type);
    if (t == "Speak") {
      const json::Value *text = json::find(*doc, "text");
      if (text == nullptr || !text->IsString()) {
        send_close(1008, "DATA-0000: Speak needs a string 'text'");
        return;
      }
      if (text->GetStringLength() > 2000)
        send_text(
            R"({"type":"Warning","code":"TEXT_TOO_LONG","description":"Speak text longer than 2000 characters."})");
      buffer_ += json::view(*text);
      if (over_char_limit(text->GetStringLength())) send_drop();  // as Deepgram drops the socket
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
      send_close(1000, "", last_due());
      return;
    }
    send_close(1008, fmt::format("DATA-0000: unknown message type '{}'", t).substr(0, 123));
  }

 private:
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
      send_text(
          R"({"type":"Warning","code":"FLUSH_LIMIT","description":"Flush limit reached; further Flush messages are ignored until the window resets.","warn_code":"FLUSH_LIMIT","warn_msg":"Flush limit reached"})");
      return;
    }
    flush_times_.push_back(now_ms);
    const double ms = static_cast<double>(buffer_.size()) * s.ms_per_char;
    const int64_t samples = static_cast<int64_t>(std::llround(ms * cfg_.sample_rate / 1000.0));
    std::string audio =
        synth_audio(cfg_.encoding, cfg_.sample_rate, samples, s.waveform, s.tone_hz, &cursor_);
    buffer_.clear();
    const int bps = bytes_per_sample(cfg_.encoding);
    size_t chunk = s.chunk_bytes > 0 ? static_cast<size_t>(s.chunk_bytes)
                                     : static_cast<size_t>(s.chunk_ms * cfg_.sample_rate / 1000 * bps);
    chunk = std::max<size_t>(1, chunk);
    const double bytes_per_ms = static_cast<double>(cfg_.sample_rate * bps) / 1000.0;
    double t = static_cast<double>(std::max(last_due(), now_ms + s.first_audio_delay_ms));
    for (size_t off = 0; off < audio.size(); off += chunk) {
      std::string piece = audio.substr(off, chunk);
      const double dur = static_cast<double>(piece.size()) / bytes_per_ms;
      send_binary(std::move(piece), static_cast<int64_t>(t), "audio");
      if (s.realtime_factor > 0) t += dur / s.realtime_factor;
    }
    if (!never_flushed_)
      send_text(fmt::format(R"({{"type":"Flushed","sequence_id":{}}})", sequence_++), static_cast<int64_t>(t),
                "audio");
  }

  void clear() {
    buffer_.clear();
    // Dropped Flushed frames never reached the client, so their ids (the newest) are reused.
    int64_t dropped_flushed = 0;
    for (const OutFrame &f : out)
      if (f.tag == "audio" && f.kind == OutFrame::Kind::kText) ++dropped_flushed;
    out.erase(std::remove_if(out.begin(), out.end(), [](const OutFrame &f) { return f.tag == "audio"; }),
              out.end());
    sequence_ -= dropped_flushed;
    send_text(fmt::format(R"({{"type":"Cleared","sequence_id":{}}})", sequence_++));
  }

  TtsConfig cfg_;
  std::shared_ptr<const Scenario> sc_;
  std::string request_id_;
  bool never_flushed_;
  std::string buffer_;
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
