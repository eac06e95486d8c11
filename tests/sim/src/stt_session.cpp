// Simulated Deepgram live STT (/v1/listen, Deepgram's v1 streaming protocol): query validation at the
// upgrade, scripted Results / SpeechStarted / UtteranceEnd emitted when the received audio
// reaches each event's offset, KeepAlive / Finalize / CloseStream, Metadata, idle close 1011.
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "sim/src/audio.hpp"
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

struct Word {
  std::string word, punctuated;
  double start = 0, end = 0;
};

std::vector<Word> make_words(const std::string &text, double start_s, double end_s) {
  std::vector<Word> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) {
      Word w;
      w.punctuated = text.substr(i, j - i);
      for (char c : w.punctuated) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '\'' || c == '-' ||
            (static_cast<unsigned char>(c) & 0x80) != 0)
          w.word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      words.push_back(std::move(w));
    }
    i = j;
  }
  double step = words.empty() ? 0 : (end_s - start_s) / static_cast<double>(words.size());
  for (size_t k = 0; k < words.size(); ++k) {
    words[k].start = start_s + step * static_cast<double>(k);
    words[k].end = start_s + step * static_cast<double>(k + 1);
  }
  return words;
}

double round3(double x) {
  return std::round(x * 1000.0) / 1000.0;
}

class SttSession final : public WsSession {
 public:
  SttSession(SttConfig cfg, std::shared_ptr<const Scenario> sc, std::string request_id)
      : cfg_(std::move(cfg)), sc_(std::move(sc)), request_id_(std::move(request_id)) {
    const SttScript &s = sc_->stt;
    if (!s.request_id.empty()) request_id_ = s.request_id;
    events_ = s.events;
    expand_utterances();
    std::stable_sort(events_.begin(), events_.end(),
                     [](const SttEvent &a, const SttEvent &b) { return a.at_ms < b.at_ms; });
    sha_ = EVP_MD_CTX_new();
    if (sha_ != nullptr) EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr);
  }
  ~SttSession() override { EVP_MD_CTX_free(sha_); }

  std::vector<std::pair<std::string, std::string>> response_headers() const override {
    return {{"dg-request-id", request_id_}, {"dg-model-name", sc_->stt.model_name}};
  }

  void on_open() override { last_input_ms_ = now_ms; }

  void on_message(bool binary, std::string_view data) override {
    last_input_ms_ = now_ms;
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
  void expand_utterances() {
    for (const SttUtterance &u : sc_->stt.utterances) {
      SttEvent started;
      started.at_ms = u.start_ms;
      started.type = SttEventType::kSpeechStarted;
      events_.push_back(started);
      std::vector<std::string> words;
      for (const Word &w : make_words(u.text, 0, 1)) words.push_back(w.punctuated);
      const int64_t span = u.end_ms - u.start_ms;
      // Final pieces first: interims only show the words after the last final before them.
      const int64_t pieces = std::min<int64_t>(u.pieces, std::max<size_t>(1, words.size()));
      std::vector<std::pair<int64_t, size_t>> final_ends;  // (at_ms, words covered so far)
      size_t w = 0;
      for (int64_t p = 0; p < pieces; ++p) {
        SttEvent e;
        e.type = SttEventType::kFinal;
        size_t upto = words.size() * static_cast<size_t>(p + 1) / static_cast<size_t>(pieces);
        for (; w < upto; ++w) e.text += (e.text.empty() ? "" : " ") + words[w];
        const bool last = p + 1 == pieces;
        e.at_ms = last ? u.end_ms + (cfg_.endpointing_enabled ? cfg_.endpointing_ms : 0)
                       : u.start_ms + span * (p + 1) / pieces;
        e.speech_final = last && u.speech_final && cfg_.endpointing_enabled;
        e.confidence = u.confidence;
        if (p == 0) e.start_ms = u.start_ms;
        final_ends.emplace_back(e.at_ms, upto);
        events_.push_back(std::move(e));
      }
      for (int64_t k = 1; k <= u.interims; ++k) {
        SttEvent e;
        e.type = SttEventType::kInterim;
        e.at_ms = u.start_ms + span * k / (u.interims + 1);
        size_t upto =
            static_cast<size_t>(std::ceil(static_cast<double>(words.size()) * static_cast<double>(k) /
                                          static_cast<double>(u.interims + 1)));
        size_t from = 0;
        for (const auto &[at, covered] : final_ends)
          if (at <= e.at_ms) from = covered;
        for (size_t i = from; i < upto && i < words.size(); ++i) e.text += (i > from ? " " : "") + words[i];
        if (e.text.empty()) continue;
        e.confidence = u.confidence * 0.9;
        events_.push_back(std::move(e));
      }
      if (u.utterance_end && cfg_.utterance_end_ms >= 0) {
        SttEvent e;
        e.type = SttEventType::kUtteranceEnd;
        e.at_ms = u.end_ms + cfg_.utterance_end_ms;
        events_.push_back(std::move(e));
      }
    }
  }

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

  std::string results(const std::string &text, double start_s, double end_s, bool is_final, bool speech_final,
                      bool from_finalize, double confidence) {
    std::vector<Word> words = make_words(text, start_s, end_s);
    std::string wj;
    for (size_t i = 0; i < words.size(); ++i) {
      const Word &w = words[i];
      wj += fmt::format(R"({}{{"word":{},"start":{},"end":{},"confidence":{},"punctuated_word":{}}})",
                        i ? "," : "", json::quote(w.word), round3(w.start), round3(w.end), confidence,
                        json::quote(w.punctuated));
    }
    if (is_final && !words.empty()) last_word_end_ = words.back().end;
    return fmt::format(
        R"({{"type":"Results","channel_index":{},"duration":{},"start":{},"is_final":{},"speech_final":{},"channel":{{"alternatives":[{{"transcript":{},"confidence":{},"words":[{}]}}]}},"metadata":{},"from_finalize":{}}})",
        channel_index(), round3(end_s - start_s), round3(start_s), is_final, speech_final, json::quote(text),
        text.empty() ? 0.0 : confidence, wj, metadata_obj(), from_finalize);
  }

  void emit(const SttEvent &e, int64_t at_ms, bool from_finalize = false) {
    const int64_t due = now_ms + sc_->stt.latency_ms;
    const double at_s = static_cast<double>(at_ms) / 1000.0;
    const double cursor_s = static_cast<double>(cursor_ms_) / 1000.0;
    switch (e.type) {
      case SttEventType::kSpeechStarted:
        if (cfg_.vad_events)
          send_text(fmt::format(R"({{"type":"SpeechStarted","channel":{},"timestamp":{}}})", channel_index(),
                                round3(at_s)),
                    due);
        break;
      case SttEventType::kInterim: {
        if (!cfg_.interim_results) break;
        double start = e.start_ms >= 0 ? static_cast<double>(e.start_ms) / 1000.0 : cursor_s;
        send_text(results(e.text, start, at_s, false, false, false, e.confidence), due);
        break;
      }
      case SttEventType::kFinal: {
        double start = e.start_ms >= 0 ? static_cast<double>(e.start_ms) / 1000.0 : cursor_s;
        send_text(
            results(e.text, start, at_s, true, e.speech_final && !from_finalize, from_finalize, e.confidence),
            due);
        cursor_ms_ = at_ms;
        break;
      }
      case SttEventType::kUtteranceEnd:
        if (cfg_.interim_results && cfg_.utterance_end_ms >= 0)
          send_text(fmt::format(R"({{"type":"UtteranceEnd","channel":{},"last_word_end":{}}})",
                                channel_index(), round3(last_word_end_)),
                    due);
        break;
    }
  }

  void emit_due() {
    const int64_t audio = audio_ms();
    while (next_ < events_.size() && events_[next_].at_ms <= audio) {
      if (!skipped(next_)) emit(events_[next_], events_[next_].at_ms);
      ++next_;
    }
  }
  bool skipped(size_t i) const { return std::find(flushed_.begin(), flushed_.end(), i) != flushed_.end(); }

  // Finalize / CloseStream: the next final whose window already started is sent now.
  bool flush_pending(bool from_finalize) {
    const int64_t audio = audio_ms();
    for (size_t i = next_; i < events_.size(); ++i) {
      const SttEvent &e = events_[i];
      if (e.type != SttEventType::kFinal || skipped(i)) continue;
      int64_t start = e.start_ms >= 0 ? e.start_ms : cursor_ms_;
      if (start >= audio) return false;
      SttEvent copy = e;
      copy.speech_final = false;
      emit(copy, audio, from_finalize);
      flushed_.push_back(i);
      return true;
    }
    return false;
  }

  void finalize(bool from_finalize) {
    if (flush_pending(from_finalize)) return;
    if (sc_->stt.finalize_empty_reply) {
      SttEvent empty;
      empty.type = SttEventType::kFinal;
      emit(empty, std::max(audio_ms(), cursor_ms_), from_finalize);
    }
  }

  void close_stream() {
    flush_pending(false);
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
  std::vector<SttEvent> events_;
  std::vector<size_t> flushed_;  // finals already sent early by Finalize
  size_t next_ = 0;
  uint64_t audio_bytes_ = 0;
  int64_t cursor_ms_ = 0;  // end of the last final
  double last_word_end_ = 0;
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
