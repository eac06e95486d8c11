#include "storage/session_store/redis_url.hpp"

#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "voxline/core/strings.hpp"

namespace voxline::detail {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view in, const char *what) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || hex_value(in[i + 1]) < 0 || hex_value(in[i + 2]) < 0)
      return invalid_argument(fmt::format("redis URL: bad percent escape in the {}", what));
    out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
    i += 2;
  }
  return out;
}

Result<int> parse_int(std::string_view text, int lo, int hi, const char *what) {
  int v = 0;
  const char *end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end || v < lo || v > hi)
    return invalid_argument(
        fmt::format("redis URL: {} must be an integer in {}..{}, got '{}'", what, lo, hi, text));
  return v;
}

}  // namespace

std::string RedisEndpoint::redacted() const {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("redis://{}{}{}{}:{}/{}", password.empty() && username.empty() ? "" : "***@",
                     v6 ? "[" : "", host, v6 ? "]" : "", port, db);
}

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (!istarts_with(url, kScheme)) {
    if (istarts_with(url, "rediss://"))
      return unsupported("redis URL: TLS (rediss://) is not available with hiredis 0.14");
    return invalid_argument("redis URL must start with redis://");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos)
    return invalid_argument(
        "redis URL: query strings and fragments are not supported; use /db for the database");
  RedisEndpoint ep;
  // userinfo is everything before the last '@' (a password may itself contain '@' only escaped).
  const size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos)
      return invalid_argument("redis URL: credentials must be ':password@' or 'user:password@'");
    VOXLINE_ASSIGN_OR_RETURN(ep.username, percent_decode(userinfo.substr(0, colon), "user name"));
    VOXLINE_ASSIGN_OR_RETURN(ep.password, percent_decode(userinfo.substr(colon + 1), "password"));
    if (ep.password.empty()) return invalid_argument("redis URL: empty password after ':'");
  }
  std::string_view hostport = rest;
  const size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      VOXLINE_ASSIGN_OR_RETURN(ep.db, parse_int(db, 0, 1 << 20, "database number"));
    }
  }
  Result<HostPort> hp = parse_host_port(hostport, ep.port);
  if (!hp.ok()) return hp.status().with_context("redis URL");
  ep.host = std::move(hp->host);
  ep.port = hp->port;
  return ep;
}

}  // namespace voxline::detail
