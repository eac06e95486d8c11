#include "voxline/core/strings.hpp"

#include <fmt/format.h>

namespace voxline {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '.' || c == '_';
}

// Hosts are echoed in errors only when printable ASCII, so a binary blob never reaches a log.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) out.push_back(c > 0x20 && c < 0x7f ? c : '?');
  if (s.size() > 80) out += "...";
  return out;
}

}  // namespace

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool list_has_token(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = ascii_lower(c);
  return out;
}

std::string to_upper_ascii(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = ascii_upper(c);
  return out;
}

std::string HostPort::to_string() const {
  return ipv6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

Result<int> parse_port(std::string_view text) {
  if (text.empty()) return invalid_argument("empty port");
  bool digits = text.size() <= 5;
  for (char c : text) digits = digits && is_digit(c);
  if (!digits) return invalid_argument(fmt::format("port '{}' is not a number in 1..65535", printable(text)));
  int v = 0;
  for (char c : text) v = v * 10 + (c - '0');
  if (v < 1 || v > 65535) return invalid_argument(fmt::format("port {} is out of range 1..65535", v));
  return v;
}

Result<HostPort> parse_host_port(std::string_view text, int default_port) {
  HostPort hp;
  hp.port = default_port;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return invalid_argument("unterminated [IPv6] host");
    const std::string_view addr = text.substr(1, close - 1);
    if (addr.empty()) return invalid_argument("missing host");
    bool colon = false;
    for (char c : addr) {
      if (c == '%') return invalid_argument("IPv6 zone ids are not supported");
      if (!is_hex(c) && c != ':' && c != '.')
        return invalid_argument(fmt::format("bad character in IPv6 address '{}'", printable(addr)));
      colon = colon || c == ':';
    }
    if (!colon)
      return invalid_argument(fmt::format("'{}' in brackets is not an IPv6 address", printable(addr)));
    hp.host.assign(addr);
    hp.ipv6 = true;
    const std::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid_argument("unexpected text after the [IPv6] host");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos)
      return invalid_argument(fmt::format(
          "'{}' has several ':'; an IPv6 address needs brackets, as in [::1]:6379", printable(text)));
    const std::string_view name = text.substr(0, colon);
    if (name.empty()) return invalid_argument("missing host");
    for (char c : name) {
      if (!is_name_char(c))
        return invalid_argument(fmt::format("bad character in host '{}'", printable(name)));
    }
    hp.host.assign(name);
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      has_port = true;
    }
  }
  if (has_port) {
    Result<int> port = parse_port(port_text);
    if (!port.ok()) return port.status();
    hp.port = *port;
    hp.explicit_port = true;
  }
  return hp;
}

}  // namespace voxline
