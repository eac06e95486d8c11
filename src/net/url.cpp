#include "voxline/net/url.hpp"

#include <algorithm>
#include <cctype>

namespace voxline {

std::string Url::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + host + "]" : host;
  const int default_port = tls ? 443 : 80;
  if (port != default_port) h += ":" + std::to_string(port);
  return h;
}

Result<Url> parse_url(std::string_view text) {
  Url u;
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos)
    return invalid_argument("URL has no scheme: '" + std::string(text) + "'");
  u.scheme.assign(text.substr(0, sep));
  std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (u.scheme == "ws" || u.scheme == "http") {
    u.tls = false;
  } else if (u.scheme == "wss" || u.scheme == "https") {
    u.tls = true;
  } else {
    return invalid_argument("unsupported URL scheme '" + u.scheme + "'");
  }
  u.is_websocket = u.scheme[0] == 'w';
  std::string_view rest = text.substr(sep + 3);
  const size_t path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (const size_t hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  if (authority.find('@') != std::string_view::npos)
    return invalid_argument("URL must not embed credentials; pass them as headers");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid_argument("unterminated IPv6 address in URL");
    u.host.assign(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid_argument("bad characters after IPv6 address in URL");
      port_text = after.substr(1);
      if (port_text.empty()) return invalid_argument("empty port in URL");
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
      if (port_text.empty()) return invalid_argument("empty port in URL");
    }
    u.host.assign(authority);
  }
  if (u.host.empty()) return invalid_argument("URL has no host: '" + std::string(text) + "'");
  for (char c : u.host)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '\\')
      return invalid_argument("bad character in URL host");
  if (!port_text.empty()) {
    if (port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return invalid_argument("bad port in URL: '" + std::string(port_text) + "'");
    u.port = std::stoi(std::string(port_text));
    if (u.port < 1 || u.port > 65535) return invalid_argument("port out of range in URL");
  } else {
    u.port = u.tls ? 443 : 80;
  }
  if (path.empty()) {
    u.path_and_query = "/";
  } else if (path.front() == '?') {
    u.path_and_query = "/" + std::string(path);
  } else {
    u.path_and_query.assign(path);
  }
  for (char c : u.path_and_query)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return invalid_argument("bad character in URL path");
  return u;
}

}  // namespace voxline
