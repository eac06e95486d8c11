// Fuzz target for parse_url: any text gives a URL or an INVALID_ARGUMENT, never a crash. An
// accepted URL is well formed (known scheme, host without separators or control bytes, port in
// range, path from '/'), survives a round trip through its own parts (parse -> serialize ->
// parse gives the same URL and the same text), and its host and port agree with core/strings'
// parse_host_port reading the Host header form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "voxline/core/strings.hpp"
#include "voxline/net/url.hpp"

namespace {

bool well_formed(const voxline::Url &u) {
  if (u.scheme != "ws" && u.scheme != "wss" && u.scheme != "http" && u.scheme != "https") return false;
  if (u.tls != (u.scheme == "wss" || u.scheme == "https")) return false;
  if (u.is_websocket != (u.scheme[0] == 'w')) return false;
  if (u.host.empty() || u.port < 1 || u.port > 65535) return false;
  for (char c : u.host) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7f || c == '/' || c == '\\' || c == '@' || c == '?' || c == '#') return false;
  }
  if (u.path_and_query.empty() || u.path_and_query.front() != '/') return false;
  for (char c : u.path_and_query)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#') return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  auto parsed = voxline::parse_url(text);
  if (!parsed.ok()) {
    if (parsed.status().code() != voxline::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  const voxline::Url &u = *parsed;
  if (!well_formed(u)) std::abort();
  // scheme://host_header() + path is what a client sends: it must mean the same URL again.
  auto again = voxline::parse_url(u.scheme + "://" + u.host_header() + u.path_and_query);
  if (!again.ok()) std::abort();
  if (again->scheme != u.scheme || again->host != u.host || again->port != u.port ||
      again->path_and_query != u.path_and_query || again->tls != u.tls)
    std::abort();
  const std::string serialized = u.scheme + "://" + u.host_header() + u.path_and_query;
  if (again->scheme + "://" + again->host_header() + again->path_and_query != serialized) std::abort();

  auto hp = voxline::parse_host_port(u.host_header(), u.tls ? 443 : 80);
  if (!hp.ok() || hp->host != u.host || hp->port != u.port) std::abort();
  if (hp->ipv6 != (u.host.find(':') != std::string::npos)) std::abort();
  if (hp->explicit_port != (u.port != (u.tls ? 443 : 80))) std::abort();
  // The host:port form always names the port, and reads back to the same parts.
  auto full = voxline::parse_host_port(hp->to_string(), 1);
  if (!full.ok() || full->host != u.host || full->port != u.port || !full->explicit_port) std::abort();
  return 0;
}
