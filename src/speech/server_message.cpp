#include "voxline/speech/server_message.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "speech/decode_frame.hpp"
#include "voxline/core/strings.hpp"

namespace voxline::speech {

namespace {
// The value of a string member, or "" when it is absent or of another type (Error and Warning
// are read tolerantly: a half-understood error is still reported).
std::string string_member(const json::Value &msg, std::string_view key) {
  const json::Value *v = json::find(msg, key);
  return v != nullptr && v->IsString() ? std::string(json::view(*v)) : std::string();
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
}  // namespace

std::string find_payload_id(std::string_view text) {
  static constexpr std::string_view kFamilies[] = {"DATA", "NET", "BIG", "MESSAGE"};
  for (size_t i = 0; i < text.size(); ++i) {
    for (std::string_view family : kFamilies) {
      if (!istarts_with(text.substr(i), family)) continue;
      size_t j = i + family.size();
      if (j < text.size() && text[j] == '-') ++j;
      if (j + 4 > text.size()) continue;
      const std::string_view digits = text.substr(j, 4);
      if (!std::all_of(digits.begin(), digits.end(), is_digit)) continue;
      if (j + 4 < text.size() && is_digit(text[j + 4])) continue;  // not exactly four digits
      return std::string(family) + "-" + std::string(digits);
    }
  }
  return {};
}

StatusCode status_for_payload_id(std::string_view text) {
  const std::string id = find_payload_id(text);
  if (id.rfind("DATA-", 0) == 0) return StatusCode::kInvalidArgument;
  if (id.rfind("NET-", 0) == 0) return StatusCode::kUnavailable;
  return StatusCode::kProtocolError;
}

namespace detail {

ServerError malformed(std::string_view api, std::string_view type, const Status &why) {
  ServerError e;
  e.origin = ServerError::Origin::kMalformed;
  // `why` is voxline's own text (parse offset, field name); `type` is one of the decoder's own
  // type names (unknown types never get here), so nothing from the peer is pasted in.
  e.status = type.empty() ? protocol_error(fmt::format("{} message: {}", api, why.message()))
                          : protocol_error(fmt::format("{} {} message: {}", api, type, why.message()));
  return e;
}

ServerError parse_server_error(const json::Value &msg) {
  ServerError e;
  e.origin = ServerError::Origin::kServer;
  // Spellings seen: {description, message: "DATA-0000", variant} (old SDKs) and
  // {code: "MESSAGE-0000", description} (Flux); REST bodies use err_code / err_msg.
  e.code = string_member(msg, "code");
  std::string message = string_member(msg, "message");
  if (e.code.empty()) e.code = string_member(msg, "err_code");
  // An id-like "message" (one short word) is the code; a sentence is the description.
  if (e.code.empty() && !message.empty() && message.size() <= 32 && message.find(' ') == std::string::npos) {
    e.code = message;
    message.clear();
  }
  e.description = string_member(msg, "description");
  if (e.description.empty()) e.description = !message.empty() ? message : string_member(msg, "err_msg");
  const StatusCode code = status_for_payload_id(e.code + " " + e.description);
  // The code is the peer's text too (it may hold a newline or a secret), so it goes through
  // from_external with the description rather than into the context.
  const std::string text = (e.code.empty() ? std::string() : e.code + ": ") +
                           (e.description.empty() ? std::string("(no description)") : e.description);
  e.status = Status::from_external(code, "Deepgram error", text);
  return e;
}

ServerWarning parse_server_warning(const json::Value &msg) {
  ServerWarning w;
  w.code = string_member(msg, "code");
  if (w.code.empty()) w.code = string_member(msg, "warn_code");
  w.description = string_member(msg, "description");
  if (w.description.empty()) w.description = string_member(msg, "warn_msg");
  if (w.description.empty()) w.description = string_member(msg, "message");
  return w;
}

}  // namespace detail
}  // namespace voxline::speech
