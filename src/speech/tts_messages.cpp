#include "voxline/speech/tts_messages.hpp"

#include <utility>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "decode_frame.hpp"
#include "voxline/core/json.hpp"

namespace voxline::speech {

namespace {
using json::Value;

constexpr std::string_view kApi = "Deepgram TTS";

// Code points in `text`, which the JSON writer has already checked to be valid UTF-8.
size_t count_code_points(std::string_view text) noexcept {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
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
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                    rapidjson::kWriteValidateEncodingFlag>
      writer(buf);
  writer.StartObject();
  writer.Key("type");
  writer.String("Speak");
  writer.Key("text");
  if (!writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size())))
    return invalid_argument("Speak text is not valid UTF-8");
  writer.EndObject();
  const size_t chars = count_code_points(text);
  if (chars > kMaxSpeakChars)
    return invalid_argument(fmt::format("Speak text has {} characters; Deepgram takes at most {} per message",
                                        chars, kMaxSpeakChars));
  return std::string(buf.GetString(), buf.GetSize());
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
