#include "voxline/speech/stt_messages.hpp"

#include <cmath>

#include "speech/decode_frame.hpp"
#include "voxline/core/json.hpp"

namespace voxline::speech {

namespace {
using json::Value;

constexpr std::string_view kApi = "Deepgram STT";

// The channel number from [channel, count] under `key`; 0 when absent.
Result<int> channel_of(const Value &msg, std::string_view key) {
  VOXLINE_ASSIGN_OR_RETURN(const Value *pair, json::get_optional_array(msg, key));
  if (pair == nullptr || pair->Empty()) return 0;
  const Value &first = (*pair)[0];
  if (!first.IsInt()) return invalid_argument("field '" + std::string(key) + "' must hold integers");
  return first.GetInt();
}

// RapidJSON turns a number beyond the double range ("2e308") into infinity; no time or confidence
// may be infinite, so such a field is refused like a mistyped one.
Result<double> finite(double v, std::string_view key) {
  if (!std::isfinite(v)) return invalid_argument("field '" + std::string(key) + "' is not a finite number");
  return v;
}

Result<double> required_double(const Value &obj, std::string_view key) {
  VOXLINE_ASSIGN_OR_RETURN(double v, json::get_double(obj, key));
  return finite(v, key);
}

Result<double> optional_double(const Value &obj, std::string_view key) {
  VOXLINE_ASSIGN_OR_RETURN(std::optional<double> v, json::get_optional_double(obj, key));
  return finite(v.value_or(0.0), key);
}

Result<bool> optional_bool(const Value &obj, std::string_view key) {
  VOXLINE_ASSIGN_OR_RETURN(std::optional<bool> v, json::get_optional_bool(obj, key));
  return v.value_or(false);
}

Result<std::string> optional_string(const Value &obj, std::string_view key) {
  VOXLINE_ASSIGN_OR_RETURN(std::optional<std::string_view> v, json::get_optional_string(obj, key));
  return std::string(v.value_or(std::string_view()));
}

Result<SttWord> word_of(const Value &w) {
  SttWord out;
  VOXLINE_ASSIGN_OR_RETURN(std::string_view word, json::get_string(w, "word"));
  out.word = std::string(word);
  VOXLINE_ASSIGN_OR_RETURN(out.start, required_double(w, "start"));
  VOXLINE_ASSIGN_OR_RETURN(out.end, required_double(w, "end"));
  VOXLINE_ASSIGN_OR_RETURN(out.confidence, optional_double(w, "confidence"));
  VOXLINE_ASSIGN_OR_RETURN(std::optional<std::string_view> punct,
                           json::get_optional_string(w, "punctuated_word"));
  out.punctuated_word = punct ? std::string(*punct) : out.word;
  return out;
}

Result<SttEvent> results_of(const Value &msg) {
  SttTranscript t;
  VOXLINE_ASSIGN_OR_RETURN(t.is_final, optional_bool(msg, "is_final"));
  VOXLINE_ASSIGN_OR_RETURN(t.speech_final, optional_bool(msg, "speech_final"));
  VOXLINE_ASSIGN_OR_RETURN(t.from_finalize, optional_bool(msg, "from_finalize"));
  VOXLINE_ASSIGN_OR_RETURN(t.start, optional_double(msg, "start"));
  VOXLINE_ASSIGN_OR_RETURN(t.duration, optional_double(msg, "duration"));
  VOXLINE_ASSIGN_OR_RETURN(t.channel, channel_of(msg, "channel_index"));
  VOXLINE_ASSIGN_OR_RETURN(const Value *meta, json::get_optional_object(msg, "metadata"));
  if (meta != nullptr) {
    VOXLINE_ASSIGN_OR_RETURN(t.request_id, optional_string(*meta, "request_id"));
  }
  VOXLINE_ASSIGN_OR_RETURN(const Value *channel, json::get_object(msg, "channel"));
  VOXLINE_ASSIGN_OR_RETURN(const Value *alts, json::get_array(*channel, "alternatives"));
  if (alts->Empty()) return SttEvent(std::move(t));
  const Value &alt = (*alts)[0];
  VOXLINE_ASSIGN_OR_RETURN(std::string_view text, json::get_string(alt, "transcript"));
  t.text = std::string(text);
  VOXLINE_ASSIGN_OR_RETURN(t.confidence, optional_double(alt, "confidence"));
  VOXLINE_ASSIGN_OR_RETURN(const Value *words, json::get_optional_array(alt, "words"));
  if (words != nullptr) {
    t.words.reserve(words->Size());
    for (rapidjson::SizeType i = 0; i < words->Size(); ++i) {
      Result<SttWord> w = word_of((*words)[i]);
      if (!w.ok()) return w.status().with_context("words[" + std::to_string(i) + "]");
      t.words.push_back(std::move(*w));
    }
  }
  return SttEvent(std::move(t));
}

Result<SttEvent> speech_started_of(const Value &msg) {
  SttSpeechStarted s;
  VOXLINE_ASSIGN_OR_RETURN(s.timestamp, required_double(msg, "timestamp"));
  VOXLINE_ASSIGN_OR_RETURN(s.channel, channel_of(msg, "channel"));
  return SttEvent(s);
}

Result<SttEvent> utterance_end_of(const Value &msg) {
  SttUtteranceEnd u;
  VOXLINE_ASSIGN_OR_RETURN(u.last_word_end, required_double(msg, "last_word_end"));
  VOXLINE_ASSIGN_OR_RETURN(u.channel, channel_of(msg, "channel"));
  return SttEvent(u);
}

Result<SttEvent> metadata_of(const Value &msg) {
  SttMetadata m;
  VOXLINE_ASSIGN_OR_RETURN(m.request_id, optional_string(msg, "request_id"));
  VOXLINE_ASSIGN_OR_RETURN(m.created, optional_string(msg, "created"));
  VOXLINE_ASSIGN_OR_RETURN(m.duration, optional_double(msg, "duration"));
  VOXLINE_ASSIGN_OR_RETURN(std::optional<int64_t> channels, json::get_optional_int64(msg, "channels"));
  if (channels && (*channels < 0 || *channels > 1024))
    return invalid_argument("field 'channels' is out of range");
  m.channels = static_cast<int>(channels.value_or(0));
  return SttEvent(std::move(m));
}
}  // namespace

SttEvent SttMessageDecoder::decode(std::string_view frame) {
  return detail::decode_frame<SttEvent>(
      kApi, frame, counters_, [](std::string_view type, const Value &msg) -> std::optional<Result<SttEvent>> {
        if (type == "Results") return results_of(msg);
        if (type == "SpeechStarted") return speech_started_of(msg);
        if (type == "UtteranceEnd") return utterance_end_of(msg);
        if (type == "Metadata") return metadata_of(msg);
        return std::nullopt;
      });
}

std::string finalize_message(std::optional<int> channel) {
  if (!channel) return R"({"type":"Finalize"})";
  return R"({"type":"Finalize","channel":)" + std::to_string(*channel) + "}";
}

}  // namespace voxline::speech
