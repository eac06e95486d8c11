#include "voxline/speech/deepgram_auth.hpp"

#include <string_view>

#include "voxline/core/strings.hpp"

namespace voxline::speech {

namespace {
constexpr bool is_base64url(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '=';
}

// header.payload.signature, each part non-empty base64url.
bool looks_like_jwt(std::string_view s) noexcept {
  int parts = 1;
  size_t part_len = 0;
  for (char c : s) {
    if (c == '.') {
      if (part_len == 0) return false;
      ++parts;
      part_len = 0;
    } else if (is_base64url(c)) {
      ++part_len;
    } else {
      return false;
    }
  }
  return parts == 3 && part_len > 0;
}
}  // namespace

Result<HttpHeader> authorization_header(const DeepgramAuth &auth) {
  const std::string_view cred = auth.credential;
  if (cred.empty()) return invalid_argument("Deepgram credential is empty");
  if (istarts_with(cred, "token ") || istarts_with(cred, "bearer "))
    return invalid_argument("Deepgram credential starts with a scheme word; pass the key or token alone");
  for (char c : cred) {
    if (c <= 0x20 || c >= 0x7F)
      return invalid_argument("Deepgram credential contains a space, control or non-ASCII byte");
  }
  const bool jwt = looks_like_jwt(cred);
  if (auth.scheme == DeepgramAuth::Scheme::kToken) {
    if (jwt)
      return invalid_argument(
          "Deepgram credential is a JWT (temporary access token); send it with Scheme::kBearer, not kToken");
    return HttpHeader{"Authorization", "Token " + auth.credential};
  }
  if (!jwt)
    return invalid_argument(
        "Deepgram Bearer credential is not a JWT; an API key must be sent with Scheme::kToken "
        "(Deepgram refuses a key as Bearer)");
  return HttpHeader{"Authorization", "Bearer " + auth.credential};
}

}  // namespace voxline::speech
