// Internal: the decoding steps every Deepgram server-message decoder shares. A frame is parsed
// as a JSON object with a string "type"; Error and Warning are handled here, each decoder handles
// its own types, and anything else becomes UnknownMessage. Failures become a kMalformed
// ServerError, never an exception. Counters are updated for every frame.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "voxline/core/json.hpp"
#include "voxline/speech/server_message.hpp"

namespace voxline::speech::detail {

// Largest text frame decoded; Deepgram's largest messages (long finals with words) are a few KB.
inline constexpr size_t kMaxFrameBytes = 1u << 20;

ServerError malformed(std::string_view api, std::string_view type, const Status &why);
ServerError parse_server_error(const json::Value &msg);
ServerWarning parse_server_warning(const json::Value &msg);

// `specific(type, doc)` returns std::nullopt for a type it does not handle, else Result<Event>
// (an error Result names the missing or mistyped field). `api` names the socket in messages
// ("Deepgram STT").
template <typename Event, typename Specific>
Event decode_frame(std::string_view api, std::string_view frame, DecodeCounters &counters,
                   Specific &&specific) {
  ++counters.frames;
  auto fail = [&](std::string_view type, const Status &why) -> Event {
    ++counters.malformed;
    return malformed(api, type, why);
  };
  json::ParseLimits limits;
  limits.max_bytes = kMaxFrameBytes;
  limits.max_depth = 32;
  Result<json::Document> doc = json::parse(frame, limits);
  if (!doc.ok()) return fail({}, doc.status());
  Result<std::string_view> type = json::get_string(*doc, "type");
  if (!type.ok()) return fail({}, type.status());
  if (*type == "Error") {
    ++counters.server_errors;
    return parse_server_error(*doc);
  }
  if (*type == "Warning") {
    ++counters.warnings;
    return parse_server_warning(*doc);
  }
  std::optional<Result<Event>> known = specific(*type, *doc);
  if (!known) {
    ++counters.unknown_types;
    return UnknownMessage{std::string(*type)};
  }
  if (!known->ok()) return fail(*type, known->status());
  return std::move(**known);
}

}  // namespace voxline::speech::detail
