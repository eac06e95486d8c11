#include "voxline/speech/tts_messages.hpp"

#include <utility>

#include <fmt/format.h>

#include "speech/decode_frame.hpp"
#include "voxline/core/json.hpp"
#include "voxline/core/strings.hpp"

namespace voxline::speech {

namespace {
using json::Value;

constexpr std::string_view kApi = "Deepgram TTS";

constexpr bool is_continuation(char c) noexcept {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

constexpr bool is_sentence_end(char c) noexcept {
  return c == '.' || c == '!' || c == '?' || c == ';' || c == ':';
}

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence.
// (Checked here rather than by RapidJSON's validating writer, which reads past the end of a view
// whose last sequence is truncated.)
bool is_valid_utf8(std::string_view text) noexcept {
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (n - i < len) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k)
      if (!is_continuation(static_cast<char>(p[i + k]))) return false;
    i += len;
  }
  return true;
}

// Code points in `text`, which has been checked to be valid UTF-8.
size_t count_code_points(std::string_view text) noexcept {
  size_t n = 0;
  for (char c : text) n += !is_continuation(c);
  return n;
}

Result<TtsEvent> metadata_of(const Value &msg) {
  TtsMetadata m;
  for (auto [key, field] :
       {std::pair{"request_id", &m.request_id}, std::pair{"model_name", &m.model_name},
        std::pair{"model_version", &m.model_version}, std::pair{"model_uuid", &m.model_uuid}}) {
    VOXLINE_ASSIGN_OR_RETURN(std::optional<std::string_view> v, json::get_optional_string(msg, key));
    if (v) field->assign(v->data(), v->size());
  }
  return TtsEvent(std::move(m));
}
}  // namespace

Result<std::string> speak_message(std::string_view text) {
  if (text.empty()) return invalid_argument("Speak text is empty");
  if (!is_valid_utf8(text)) return invalid_argument("Speak text is not valid UTF-8");
  const size_t chars = count_code_points(text);
  if (chars > kMaxSpeakChars)
    return invalid_argument(fmt::format("Speak text has {} characters; Deepgram takes at most {} per message",
                                        chars, kMaxSpeakChars));
  return R"({"type":"Speak","text":)" + json::quote(text) + "}";
}

std::vector<std::string_view> split_speak_text(std::string_view text, size_t max_chars) {
  if (max_chars == 0) max_chars = 1;
  std::vector<std::string_view> pieces;
  size_t pos = 0;
  while (pos < text.size()) {
    // `end`: the byte just past max_chars characters from `pos` (or the end of the text).
    size_t end = pos;
    size_t chars = 0;
    while (end < text.size()) {
      if (!is_continuation(text[end])) {
        if (chars == max_chars) break;
        ++chars;
      }
      ++end;
    }
    size_t cut = end;
    if (end < text.size()) {
      size_t space_cut = 0;
      for (size_t k = end; k > pos + 1; --k) {  // a cut at k keeps text[k - 1] in this piece
        if (!is_ascii_space(text[k - 1])) continue;
        if (is_sentence_end(text[k - 2])) {
          space_cut = k;
          break;
        }
        if (space_cut == 0) space_cut = k;
      }
      if (space_cut != 0) cut = space_cut;
    }
    pieces.push_back(text.substr(pos, cut - pos));
    pos = cut;
  }
  return pieces;
}

TtsEvent TtsMessageDecoder::decode(std::string_view frame) {
  return detail::decode_frame<TtsEvent>(
      kApi, frame, counters_, [](std::string_view type, const Value &msg) -> std::optional<Result<TtsEvent>> {
        if (type == "Flushed" || type == "Cleared") {
          Result<std::optional<int64_t>> id = json::get_optional_int64(msg, "sequence_id");
          if (!id.ok()) return Result<TtsEvent>(id.status());
          if (type == "Flushed") return Result<TtsEvent>(TtsFlushed{*id});
          return Result<TtsEvent>(TtsCleared{*id});
        }
        if (type == "Metadata") return metadata_of(msg);
        return std::nullopt;
      });
}

}  // namespace voxline::speech
