// File: strings.hpp
// The one home of small text helpers every layer needs: ASCII trimming and case folding (never
// the C locale, so a host that calls setlocale() changes nothing), and host[:port] parsing
// shared by the URL parser (net/url) and the Redis URL parser (session store).
//
//   std::string_view v = trim("  text/event-stream \r");          // "text/event-stream"
//   if (iequals(name, "Content-Type")) ...
//   VOXLINE_ASSIGN_OR_RETURN(HostPort hp, parse_host_port("[::1]:6379", 6379));
//   hp.host == "::1"; hp.port == 6379; hp.ipv6 == true; hp.to_string() == "[::1]:6379"
//
// Host:port grammar (RFC 3986 authority without userinfo):
//   host           a name or IPv4 address: ASCII letters, digits, '-', '.', '_'
//   host:port      port is 1..65535, decimal digits only, at most 5 of them
//   [ipv6]         an IPv6 literal (hex digits, ':' and '.' for an embedded IPv4), at least one ':'
//   [ipv6]:port
// A bare IPv6 address without brackets ("::1", "fe80::1:6379") is refused: whether its last
// group is a port cannot be told, and the URL grammar requires the brackets. IPv6 zone ids
// ("%25eth0") and non-ASCII names (use punycode) are refused too. Errors are INVALID_ARGUMENT
// with a message that callers prefix with their context ("redis URL: ...").
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <string>
#include <string_view>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"

namespace voxline {

// ASCII whitespace: space, \t, \n, \v, \f, \r.
constexpr bool is_ascii_space(char c) noexcept {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char ascii_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// `s` without leading and trailing ASCII whitespace (a view into `s`).
VOXLINE_API std::string_view trim(std::string_view s) noexcept;
// ASCII case-insensitive equality ("Content-Length" == "content-length"); bytes >= 0x80 must match.
VOXLINE_API bool iequals(std::string_view a, std::string_view b) noexcept;
// ASCII case-insensitive prefix test.
VOXLINE_API bool istarts_with(std::string_view text, std::string_view prefix) noexcept;
// Does the comma-separated list `list` (an HTTP field value such as Connection's) hold `token`,
// compared trimmed and case-insensitively?
VOXLINE_API bool list_has_token(std::string_view list, std::string_view token) noexcept;
VOXLINE_API std::string to_lower_ascii(std::string_view s);
VOXLINE_API std::string to_upper_ascii(std::string_view s);

struct VOXLINE_API HostPort {
  std::string host;  // without brackets
  int port = 0;      // the explicit port, or the default passed to parse_host_port
  bool ipv6 = false;
  bool explicit_port = false;
  // "host:port", "[ipv6]:port".
  std::string to_string() const;
};

// Parses a port: decimal digits only, 1..65535.
VOXLINE_API Result<int> parse_port(std::string_view text);
// Parses "host", "host:port", "[ipv6]" or "[ipv6]:port" (grammar above); `default_port` is used
// when no port is given.
VOXLINE_API Result<HostPort> parse_host_port(std::string_view text, int default_port);

}  // namespace voxline
