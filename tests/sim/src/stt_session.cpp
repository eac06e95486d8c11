// Simulated Deepgram live STT (/v1/listen, Deepgram's v1 streaming protocol): query validation at the
// upgrade, the scripted timeline (stt_timeline.hpp) played as Results / SpeechStarted / UtteranceEnd
// when the received audio reaches each event's offset, finals that tile the audio (empty ones over
// silence), KeepAlive / Finalize / CloseStream, Metadata, idle close 1011.
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "sim/src/audio.hpp"
#include "sim/src/stt_timeline.hpp"
#include "sim/src/ws_session.hpp"
#include "voxline/core/json.hpp"

namespace voxline::sim::detail {
namespace {

const std::set<std::string> kKnownParams = {
    "model",        "language",        "encoding",        "sample_rate",      "channels",
    "multichannel", "interim_results", "endpointing",     "utterance_end_ms", "vad_events",
    "punctuate",    "smart_format",    "numerals",        "keyterm",          "keywords",
    "diarize",      "diarize_model",   "filler_words",    "profanity_filter", "redact",
    "replace",      "search",          "dictation",       "detect_entities",  "tag",
    "extra",        "callback",        "callback_method", "mip_opt_out",      "version",
    "no_delay",     "detect_language", "alternatives"};
const std::set<std::string> kDeepgramEncodings = {
    "linear16", "linear32", "flac", "alaw", "mulaw", "amr-nb", "amr-wb", "opus", "ogg-opus", "speex", "g729"};
const std::set<std::string> kBoolParams = {
    "multichannel",    "interim_results", "vad_events",   "punctuate",        "smart_format",
    "numerals",        "diarize",         "filler_words", "profanity_filter", "dictation",
    "detect_entities", "mip_opt_out",     "no_delay"};

struct SttConfig {
  std::string model = "nova-3";
  std::string encoding;
  int sample_rate = 0;
  int channels = 1;
  bool multichannel = false, interim_results = false, vad_events = false;
  bool endpointing_enabled = true;
  int64_t endpointing_ms = 10;
  int64_t utterance_end_ms = -1;  // -1 = off
};

bool parse_int(const std::string &s, int64_t &out) {
  if (s.empty() || s.size() > 12) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  out = std::stoll(s);
  return true;
}

// Empty string = valid; otherwise the 400 reason.
std::string validate(const QueryParams &q, SttConfig &cfg) {
  bool has_keyterm = false, has_keywords = false;
  for (const auto &[k, v] : q) {
    if (kKnownParams.count(k) == 0) return fmt::format("Unknown query parameter: '{}'", k);
    if (kBoolParams.count(k) != 0 && v != "true" && v != "false")
      return fmt::format("Invalid value for '{}': expected true or false, got '{}'", k, v);
    int64_t n = 0;
    if (k == "model") {
      if (v.empty()) return "Invalid value for 'model': must not be empty";
      cfg.model = v;
    } else if (k == "encoding") {
      if (kDeepgramEncodings.count(v) == 0) return fmt::format("Invalid value for 'encoding': '{}'", v);
      if (v != "linear16" && v != "mulaw")
        return fmt::format("voxline-sim supports only encoding=linear16 and encoding=mulaw, got '{}'", v);
      cfg.encoding = v;
    } else if (k == "sample_rate") {
      if (!parse_int(v, n) || n < 8000 || n > 48000)
        return fmt::format("Invalid value for 'sample_rate': '{}' (8000..48000)", v);
      cfg.sample_rate = static_cast<int>(n);
    } else if (k == "channels") {
      if (!parse_int(v, n) || n < 1 || n > 8) return fmt::format("Invalid value for 'channels': '{}'", v);
      cfg.channels = static_cast<int>(n);
    } else if (k == "multichannel") {
      cfg.multichannel = v == "true";
    } else if (k == "interim_results") {
      cfg.interim_results = v == "true";
    } else if (k == "vad_events") {
      cfg.vad_events = v == "true";
    } else if (k == "endpointing") {
      if (v == "false") {
        cfg.endpointing_enabled = false;
      } else if (parse_int(v, n) && n <= 60000) {
        cfg.endpointing_ms = n;
      } else {
        return fmt::format("Invalid value for 'endpointing': '{}'", v);
      }
    } else if (k == "utterance_end_ms") {
      if (!parse_int(v, n) || n > 5000) return fmt::format("Invalid value for 'utterance_end_ms': '{}'", v);
      cfg.utterance_end_ms = n;
    } else if (k == "keyterm") {
      has_keyterm = true;
    } else if (k == "keywords") {
      has_keywords = true;
    }
  }
  if (cfg.encoding.empty())
    return "voxline-sim needs raw audio: set encoding (linear16 or mulaw) and sample_rate";
  if (cfg.sample_rate == 0) return "sample_rate is required when encoding is set";
  const bool nova3 = cfg.model.rfind("nova-3", 0) == 0;
  if (has_keyterm && !nova3) return "Keyterm prompting is only available with Nova-3 models";
  if (has_keywords && nova3) return "Keywords are not supported with Nova-3 models; use keyterm";
  return {};
}

double round3(double x) {
  return std::round(x * 1000.0) / 1000.0;
}

double seconds(int64_t ms) {
  return static_cast<double>(ms) / 1000.0;
}

class SttSession final : public WsSession {
 public:
  SttSession(SttConfig cfg, std::shared_ptr<const Scenario> sc, std::string request_id)
      : cfg_(std::move(cfg)), sc_(std::move(sc)), request_id_(std::move(request_id)) {
    const SttScript &s = sc_->stt;
    if (!s.request_id.empty()) request_id_ = s.request_id;
    TimelineParams params;
    params.endpointing_enabled = cfg_.endpointing_enabled;
    params.endpointing_ms = cfg_.endpointing_ms;
    params.utterance_end_ms = cfg_.utterance_end_ms;
    events_ = build_timeline(s, params);
    done_.assign(events_.size(), false);
    sha_ = EVP_MD_CTX_new();
    if (sha_ != nullptr) EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr);
  }
  ~SttSession() override { EVP_MD_CTX_free(sha_); }

  std::vector<std::pair<std::string, std::string>> response_headers() const override {
    return {{"dg-request-id", request_id_}, {"dg-model-name", sc_->stt.model_name}};
  }

  void on_open() override { last_input_ms_ = now_ms; }

  void on_message(bool binary, std::string_view data) override {
    // Until audio has arrived only audio counts: KeepAlive alone does not hold a socket open.
    if (binary || audio_bytes_ > 0) last_input_ms_ = now_ms;
    if (binary) {
      if (data.empty()) {  // legacy end-of-stream signal: behaves like CloseStream
        close_stream();
        return;
      }
      if (audio_bytes_ == 0 && (data.substr(0, 4) == "RIFF" || data.substr(0, 4) == "OggS")) {
        send_close(1008,
                   "DATA-0000: containerized audio sent with a raw encoding. See https://dpgr.am/data0000");
        return;
      }
      audio_bytes_ += data.size();
      if (sha_ != nullptr) EVP_DigestUpdate(sha_, data.data(), data.size());
      emit_due();
      return;
    }
    auto doc = json::parse(data);
    const json::Value *type = doc.ok() ? json::find(*doc, "type") : nullptr;
    if (type == nullptr || !type->IsString()) {
      send_close(1008, "DATA-0000: text messages must be JSON control messages with a type");
      return;
    }
    std::string_view t = json::view(*type);
    if (t == "KeepAlive") return;
    if (t == "Finalize") {
      finalize(true);
      return;
    }
    if (t == "CloseStream") {
      close_stream();
      return;
    }
    send_close(1008, fmt::format("DATA-0000: unknown control message type '{}'", t).substr(0, 123));
  }

  int64_t wakeup_ms() const override {
    if (finished || sc_->stt.idle_timeout_ms <= 0) return -1;
    return last_input_ms_ + sc_->stt.idle_timeout_ms;
  }

  void on_timer() override {
    if (finished) return;
    send_close(1011,
               "Deepgram did not receive audio data or a text message within the timeout window. See "
               "https://dpgr.am/net0001");
  }

 private:
  int64_t audio_ms() const {
    const int64_t per_second =
        static_cast<int64_t>(bytes_per_sample(cfg_.encoding)) * cfg_.channels * cfg_.sample_rate;
    return per_second > 0 ? static_cast<int64_t>(audio_bytes_ * 1000 / static_cast<uint64_t>(per_second)) : 0;
  }

  std::string channel_index() const { return fmt::format("[0,{}]", cfg_.multichannel ? cfg_.channels : 1); }

  std::string metadata_obj() const {
    return fmt::format(
        R"({{"request_id":"{}","model_info":{{"name":{},"version":"2025-07-31.0","arch":"{}"}},"model_uuid":"{}"}})",
        request_id_, json::quote(sc_->stt.model_name), cfg_.model, kModelUuid);
  }

  // One Results message for the window [start_ms, end_ms] carrying `words`.
  std::string results(const std::vector<const TimedWord *> &words, int64_t start_ms, int64_t end_ms,
                      bool is_final, bool speech_final, bool from_finalize, double confidence) {
    std::string wj, text;
    for (size_t i = 0; i < words.size(); ++i) {
      const TimedWord &w = *words[i];
      // A word cut by an earlier Finalize starts, for this window, where the window starts.
      wj += fmt::format(R"({}{{"word":{},"start":{},"end":{},"confidence":{},"punctuated_word":{}}})",
                        i ? "," : "", json::quote(w.word), seconds(std::max(w.start_ms, start_ms)),
                        seconds(w.end_ms), confidence, json::quote(w.punctuated));
      text += (i ? " " : "") + w.punctuated;
    }
    if (is_final && !words.empty()) final_word_end_ms_ = words.back()->end_ms;
    return fmt::format(
        R"({{"type":"Results","channel_index":{},"duration":{},"start":{},"is_final":{},"speech_final":{},"channel":{{"alternatives":[{{"transcript":{},"confidence":{},"words":[{}]}}]}},"metadata":{},"from_finalize":{}}})",
        channel_index(), seconds(end_ms - start_ms), seconds(start_ms), is_final, speech_final,
        json::quote(text), words.empty() ? 0.0 : confidence, wj, metadata_obj(), from_finalize);
  }

  // The words of `e` not yet sent in a final, up to `heard_ms` of audio.
  std::vector<const TimedWord *> unsent_words(const TimedEvent &e, int64_t heard_ms) const {
    std::vector<const TimedWord *> out;
    for (const TimedWord &w : e.words)
      if (w.end_ms > final_word_end_ms_ && w.end_ms <= heard_ms) out.push_back(&w);
    return out;
  }

  // Finals tile the audio: silence before a window that starts later is an empty final.
  void cover_until(int64_t start_ms, int64_t due) {
    if (start_ms <= cursor_ms_) return;
    send_text(results({}, cursor_ms_, start_ms, true, false, false, 0), due);
    cursor_ms_ = start_ms;
  }

  void send_final(const TimedEvent &e, int64_t end_ms, bool speech_final, bool from_finalize, int64_t due) {
    const int64_t start = std::max(cursor_ms_, e.window_start_ms);
    cover_until(start, due);
    send_text(
        results(unsent_words(e, end_ms), start, end_ms, true, speech_final, from_finalize, e.confidence),
        due);
    cursor_ms_ = end_ms;
  }

  void emit(size_t i) {
    const TimedEvent &e = events_[i];
    const int64_t due = now_ms + sc_->stt.latency_ms;
    switch (e.kind) {
      case TimedKind::kSpeechStarted:
        if (cfg_.vad_events)
          send_text(fmt::format(R"({{"type":"SpeechStarted","channel":{},"timestamp":{}}})", channel_index(),
                                seconds(e.at_ms)),
                    due);
        break;
      case TimedKind::kSilence: cover_until(e.window_start_ms, due); break;
      case TimedKind::kInterim: {
        if (!cfg_.interim_results) break;
        std::vector<const TimedWord *> words = unsent_words(e, e.at_ms);
        if (words.empty()) break;  // nothing new since the last final
        const int64_t start = std::max(cursor_ms_, e.window_start_ms);
        cover_until(start, due);
        send_text(results(words, start, e.at_ms, false, false, false, e.confidence), due);
        break;
      }
      case TimedKind::kFinal: send_final(e, e.at_ms, e.speech_final, false, due); break;
      case TimedKind::kUtteranceEnd:
        if (cfg_.interim_results && cfg_.utterance_end_ms >= 0) {
          const int64_t last =
              e.last_word_end_ms >= 0 ? e.last_word_end_ms : std::max<int64_t>(0, final_word_end_ms_);
          send_text(fmt::format(R"({{"type":"UtteranceEnd","channel":{},"last_word_end":{}}})",
                                channel_index(), seconds(last)),
                    due);
        }
        break;
    }
  }

  void emit_due() {
    const int64_t audio = audio_ms();
    for (; next_ < events_.size() && events_[next_].at_ms <= audio; ++next_)
      if (!done_[next_]) emit(next_);
  }

  // Finalize / CloseStream: the next final whose window already started is sent now with the
  // words heard so far; its other words follow in it at its time (never twice).
  bool flush_pending(bool from_finalize) {
    const int64_t audio = audio_ms();
    for (size_t i = next_; i < events_.size(); ++i) {
      const TimedEvent &e = events_[i];
      if (e.kind != TimedKind::kFinal || done_[i]) continue;
      if (std::max(cursor_ms_, e.window_start_ms) >= audio) return false;
      send_final(e, audio, false, from_finalize, now_ms + sc_->stt.latency_ms);
      done_[i] = unsent_words(e, e.at_ms).empty();
      return true;
    }
    return false;
  }

  void finalize(bool from_finalize) {
    if (flush_pending(from_finalize)) return;
    if (sc_->stt.finalize_empty_reply) {
      const int64_t end = std::max(audio_ms(), cursor_ms_);
      send_text(results({}, cursor_ms_, end, true, false, from_finalize, 0), now_ms + sc_->stt.latency_ms);
      cursor_ms_ = end;
    }
  }

  void close_stream() {
    flush_pending(false);
    cover_until(audio_ms(), now_ms + sc_->stt.latency_ms);  // trailing silence
    std::string sha = "0000000000000000000000000000000000000000000000000000000000000000";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (sha_ != nullptr && EVP_DigestFinal_ex(sha_, md, &md_len) == 1) {
      sha.clear();
      for (unsigned int i = 0; i < md_len; ++i) sha += fmt::format("{:02x}", md[i]);
    }
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char created[32];
    std::strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    const int64_t due = std::max(last_due(), now_ms + sc_->stt.latency_ms);
    send_text(
        fmt::format(
            R"({{"type":"Metadata","transaction_key":"deprecated","request_id":"{}","sha256":"{}","created":"{}","duration":{},"channels":{},"models":["{}"],"model_info":{{"{}":{{"name":{},"version":"2025-07-31.0","arch":"{}"}}}}}})",
            request_id_, sha, created, round3(static_cast<double>(audio_ms()) / 1000.0), cfg_.channels,
            kModelUuid, kModelUuid, json::quote(sc_->stt.model_name), cfg_.model),
        due);
    send_close(1000, "", due);
  }

  static constexpr const char *kModelUuid = "9b2f4c71-0e6a-4d38-b5c9-27e1a8d3f640";
  SttConfig cfg_;
  std::shared_ptr<const Scenario> sc_;
  std::string request_id_;
  std::vector<TimedEvent> events_;
  std::vector<bool> done_;  // finals whose words all went out early (Finalize)
  size_t next_ = 0;
  uint64_t audio_bytes_ = 0;
  int64_t cursor_ms_ = 0;           // end of the last final's window
  int64_t final_word_end_ms_ = -1;  // end of the last word sent in a final
  int64_t last_input_ms_ = 0;
  EVP_MD_CTX *sha_ = nullptr;
};

}  // namespace

SessionOrReject make_stt_session(const QueryParams &query, std::shared_ptr<const Scenario> scenario,
                                 std::string request_id) {
  SessionOrReject r;
  SttConfig cfg;
  std::string err = validate(query, cfg);
  if (!err.empty()) {
    r.status = 400;
    r.error = err;
    return r;
  }
  r.session = std::make_unique<SttSession>(std::move(cfg), std::move(scenario), std::move(request_id));
  return r;
}

}  // namespace voxline::sim::detail
