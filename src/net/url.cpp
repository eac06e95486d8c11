#include "voxline/net/url.hpp"

#include <utility>

#include "voxline/core/strings.hpp"

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
  u.scheme = to_lower_ascii(text.substr(0, sep));
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
  Result<HostPort> hp = parse_host_port(authority, u.tls ? 443 : 80);
  if (!hp.ok()) return hp.status().with_context("URL");
  u.host = std::move(hp->host);
  u.port = hp->port;
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
