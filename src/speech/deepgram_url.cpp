#include "voxline/speech/deepgram_url.hpp"

#include <fmt/format.h>

#include "voxline/net/url.hpp"

namespace voxline::speech {

namespace {
constexpr bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

constexpr bool is_identifier_char(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == ':';
}

// One byte for an error message: printable ASCII as itself, anything else as 0xNN.
std::string describe_byte(unsigned char c) {
  if (c > 0x20 && c < 0x7F) return fmt::format("'{}'", static_cast<char>(c));
  return fmt::format("byte 0x{:02X}", c);
}
}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

QueryString &QueryString::add(std::string_view key, std::string_view value) {
  if (!text_.empty()) text_.push_back('&');
  text_ += percent_encode(key);
  text_.push_back('=');
  text_ += percent_encode(value);
  return *this;
}

QueryString &QueryString::add_bool(std::string_view key, bool value) {
  return add(key, value ? "true" : "false");
}

QueryString &QueryString::add_int(std::string_view key, int64_t value) {
  return add(key, std::to_string(value));
}

Result<std::string> join_endpoint(std::string_view base_url, std::string_view path, const QueryString &query,
                                  UrlKind kind) {
  const std::string what = fmt::format("base URL '{}'", base_url);
  const Result<Url> url = parse_url(base_url);
  if (!url.ok()) return url.status().with_context(what);
  const bool ws = kind == UrlKind::kWebsocket;
  if (url->is_websocket != ws)
    return invalid_argument(fmt::format("{}: scheme must be {}", what, ws ? "ws or wss" : "http or https"));
  if (base_url.find_first_of("?#") != std::string_view::npos)
    return invalid_argument(what + ": must not carry a query or fragment (the options build the query)");
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  std::string out(base_url);
  out += path;
  if (!query.str().empty()) {
    out.push_back('?');
    out += query.str();
  }
  return out;
}

Status check_identifier(std::string_view field, std::string_view value) {
  if (value.empty()) return invalid_argument(fmt::format("{} must not be empty", field));
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (!is_identifier_char(c))
      return invalid_argument(fmt::format(
          "{} has {} at position {}; allowed are letters, digits and . _ - :", field, describe_byte(c), i));
  }
  return Status::Ok();
}

}  // namespace voxline::speech
