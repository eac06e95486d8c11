#include "voxline/speech/stt_options.hpp"

#include <fmt/format.h>

#include "voxline/core/strings.hpp"
#include "voxline/speech/deepgram_url.hpp"

namespace voxline::speech {

namespace {
constexpr int kMinUtteranceEndMs = 1000;  // lower values are useless on the hosted API
constexpr int kMaxUtteranceEndMs = 5000;
constexpr int kMaxEndpointingMs = 60'000;
constexpr int kMinSampleRate = 8000;
constexpr int kMaxSampleRate = 48000;
// Deepgram allows 500 tokens over all keyterms; every word is at least one token.
constexpr size_t kMaxKeytermWords = 500;

size_t count_words(std::string_view s) {
  size_t words = 0;
  bool in_word = false;
  for (char c : s) {
    const bool space = is_ascii_space(c);
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

Status check_keyterms(const SttOptions &o) {
  if (o.keyterms.empty()) return Status::Ok();
  if (!istarts_with(o.model, "nova-3"))
    return invalid_argument(
        fmt::format("keyterms need a nova-3 model, model is '{}' (nova-2 and older use keywords)", o.model));
  if (o.language == "multi") return invalid_argument("keyterms work with one language only, not 'multi'");
  size_t words = 0;
  for (size_t i = 0; i < o.keyterms.size(); ++i) {
    const std::string &k = o.keyterms[i];
    if (trim(k).empty()) return invalid_argument(fmt::format("keyterms[{}] is empty", i));
    for (char c : k) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
        return invalid_argument(fmt::format("keyterms[{}] contains a control character", i));
    }
    words += count_words(k);
  }
  if (words > kMaxKeytermWords)
    return invalid_argument(fmt::format("keyterms have {} words; Deepgram allows at most {} tokens in total",
                                        words, kMaxKeytermWords));
  return Status::Ok();
}
}  // namespace

Status validate(const SttOptions &o) {
  VOXLINE_RETURN_IF_ERROR(check_identifier("STT model", o.model));
  VOXLINE_RETURN_IF_ERROR(check_identifier("STT language", o.language));
  if (o.encoding == AudioEncoding::kMulaw && o.sample_rate != 8000)
    return invalid_argument(
        fmt::format("STT sample_rate {} with mulaw: G.711 mu-law audio is 8000 Hz", o.sample_rate));
  if (o.sample_rate < kMinSampleRate || o.sample_rate > kMaxSampleRate)
    return invalid_argument(
        fmt::format("STT sample_rate {} is outside {}-{} Hz", o.sample_rate, kMinSampleRate, kMaxSampleRate));
  if (o.endpointing_ms < 0 || o.endpointing_ms > kMaxEndpointingMs)
    return invalid_argument(
        fmt::format("STT endpointing_ms {} is outside 0 (off)-{}", o.endpointing_ms, kMaxEndpointingMs));
  if (o.utterance_end_ms != 0) {
    if (o.utterance_end_ms < kMinUtteranceEndMs || o.utterance_end_ms > kMaxUtteranceEndMs)
      return invalid_argument(fmt::format("STT utterance_end_ms {} is outside {}-{} (0 turns it off)",
                                          o.utterance_end_ms, kMinUtteranceEndMs, kMaxUtteranceEndMs));
    if (!o.interim_results)
      return invalid_argument(
          "STT utterance_end_ms requires interim_results (Deepgram sends no UtteranceEnd without)");
  }
  VOXLINE_RETURN_IF_ERROR(check_keyterms(o));
  // The base URL is checked by the join, with the same INVALID_ARGUMENT.
  return join_endpoint(o.base_url, "/v1/listen", QueryString(), UrlKind::kWebsocket).status();
}

Result<std::string> stt_listen_url(const SttOptions &o) {
  VOXLINE_RETURN_IF_ERROR(validate(o));
  QueryString q;
  q.add("model", o.model).add("language", o.language);
  q.add("encoding", encoding_name(o.encoding)).add_int("sample_rate", o.sample_rate).add_int("channels", 1);
  q.add_bool("interim_results", o.interim_results);
  if (o.endpointing_ms == 0)
    q.add("endpointing", "false");
  else
    q.add_int("endpointing", o.endpointing_ms);
  if (o.utterance_end_ms != 0) q.add_int("utterance_end_ms", o.utterance_end_ms);
  q.add_bool("vad_events", o.vad_events).add_bool("smart_format", o.smart_format);
  for (const std::string &k : o.keyterms) q.add("keyterm", k);
  return join_endpoint(o.base_url, "/v1/listen", q, UrlKind::kWebsocket);
}

}  // namespace voxline::speech
