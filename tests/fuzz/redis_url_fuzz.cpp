// Fuzz target for parse_redis_url: any text gives an endpoint or an error, never a crash. An
// accepted endpoint has a host of host characters, a port and db in range, a redacted form
// without the password, and survives a round trip through a URL rebuilt from its parts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "storage/session_store/redis_url.hpp"

namespace {

std::string percent_encode(std::string_view in) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : in) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  auto parsed = voxline::detail::parse_redis_url(text);
  if (!parsed.ok()) {
    const auto code = parsed.status().code();
    if (code != voxline::StatusCode::kInvalidArgument && code != voxline::StatusCode::kUnsupported)
      std::abort();
    return 0;
  }
  const voxline::detail::RedisEndpoint &ep = *parsed;
  if (ep.host.empty() || ep.port < 1 || ep.port > 65535 || ep.db < 0) std::abort();
  for (char c : ep.host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == ':' || c == '_';
    if (!ok) std::abort();
  }
  const std::string redacted = ep.redacted();
  const bool has_credentials = !ep.password.empty() || !ep.username.empty();
  if (has_credentials != (redacted.find("***@") != std::string::npos)) std::abort();
  // The password may not appear beyond what the host and numbers spell by chance.
  if (ep.password.size() >= 3 && redacted.find(ep.password) != std::string::npos &&
      ("redis://" + ep.host + ":" + std::to_string(ep.port) + "/" + std::to_string(ep.db))
              .find(ep.password) == std::string::npos)
    std::abort();
  std::string rebuilt = "redis://";
  if (has_credentials) rebuilt += percent_encode(ep.username) + ":" + percent_encode(ep.password) + "@";
  const bool v6 = ep.host.find(':') != std::string::npos;
  rebuilt +=
      (v6 ? "[" + ep.host + "]" : ep.host) + ":" + std::to_string(ep.port) + "/" + std::to_string(ep.db);
  auto again = voxline::detail::parse_redis_url(rebuilt);
  if (!again.ok()) std::abort();
  if (again->host != ep.host || again->port != ep.port || again->db != ep.db ||
      again->username != ep.username || again->password != ep.password)
    std::abort();
  return 0;
}
