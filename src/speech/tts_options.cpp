#include "voxline/speech/tts_options.hpp"

#include <fmt/format.h>

#include "voxline/core/strings.hpp"
#include "voxline/speech/deepgram_url.hpp"

namespace voxline::speech {

namespace {
constexpr std::string_view kPath = "/v1/speak";

bool linear16_rate_ok(int rate) {
  for (int r : {8000, 16000, 24000, 32000, 48000})
    if (rate == r) return true;
  return false;
}

QueryString speak_query(const TtsOptions &o) {
  QueryString q;
  q.add("model", o.model).add("encoding", encoding_name(o.encoding)).add_int("sample_rate", o.sample_rate);
  return q;
}
}  // namespace

Status validate(const TtsOptions &o) {
  VOXLINE_RETURN_IF_ERROR(check_identifier("TTS model", o.model));
  if (o.encoding == AudioEncoding::kMulaw && o.sample_rate != 8000)
    return invalid_argument(
        fmt::format("TTS sample_rate {} with mulaw: G.711 mu-law audio is 8000 Hz", o.sample_rate));
  if (o.encoding == AudioEncoding::kLinear16 && !linear16_rate_ok(o.sample_rate))
    return invalid_argument(
        fmt::format("TTS sample_rate {} with linear16: Deepgram offers 8000, 16000, 24000, 32000 or 48000",
                    o.sample_rate));
  return join_endpoint(o.base_url, kPath, QueryString(), UrlKind::kWebsocket).status();
}

Result<std::string> tts_speak_url(const TtsOptions &o) {
  VOXLINE_RETURN_IF_ERROR(validate(o));
  return join_endpoint(o.base_url, kPath, speak_query(o), UrlKind::kWebsocket);
}

Result<std::string> tts_rest_url(const TtsOptions &o) {
  VOXLINE_RETURN_IF_ERROR(validate(o));
  std::string base = o.base_url;
  // validate() accepted a ws:// or wss:// base; the scheme is matched case-insensitively there.
  const size_t colon = base.find(':');
  const std::string scheme = to_lower_ascii(std::string_view(base).substr(0, colon));
  base.replace(0, colon, scheme == "wss" ? "https" : "http");
  QueryString q = speak_query(o);
  q.add("container", "none");
  return join_endpoint(base, kPath, q, UrlKind::kHttp);
}

}  // namespace voxline::speech
