#include "voxline/net/http_status.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <string>

#include "voxline/core/redactor.hpp"
#include "voxline/core/strings.hpp"

namespace voxline {

namespace {
// `detail` is the peer's text (an error body, a close reason): redacted, never pasted raw.
std::string with_detail(std::string msg, std::string_view detail) {
  if (!detail.empty()) {
    msg += ": ";
    msg += external_text(detail, Status::kMaxExternalBytes);
  }
  return msg;
}

// Non-negative decimal number such as "2", "1.81" or "0.5"; nullopt for anything else.
std::optional<double> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  bool dot = false, digit = false;
  for (char c : s) {
    if (c == '.') {
      if (dot) return std::nullopt;
      dot = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digit) return std::nullopt;
  return std::strtod(std::string(s).c_str(), nullptr);
}
}  // namespace

std::optional<std::string_view> find_header(const HttpHeaders &headers, std::string_view name) {
  for (const auto &h : headers)
    if (iequals(h.first, name)) return std::string_view(h.second);
  return std::nullopt;
}

Status status_from_http(int code, std::string_view detail) {
  const std::string base = "HTTP " + std::to_string(code);
  if (code >= 200 && code < 300) return Status::Ok();
  if (code == 401 || code == 403) return unauthenticated(with_detail(base, detail));
  if (code == 429) return rate_limited(with_detail(base, detail));
  if (code == 408) return timeout_error(with_detail(base, detail));
  if (code == 404) return not_found(with_detail(base, detail));
  if (code == 409) return conflict(with_detail(base, detail));
  if (code >= 400 && code < 500) return invalid_argument(with_detail(base, detail));
  if (code >= 500 && code < 600) return unavailable(with_detail(base, detail));
  return protocol_error(with_detail("unexpected " + base, detail));
}

Status status_from_close_code(int code, std::string_view reason) {
  const std::string base = "websocket closed with code " + std::to_string(code);
  switch (code) {
    case 1000: return Status::Ok();
    case 1001:
    case 1006:
    case 1011:
    case 1012:
    case 1013:
    case 1014: return unavailable(with_detail(base, reason));
    // Deepgram's DATA error: the audio or a message could not be decoded. Credentials are refused
    // at the handshake (HTTP 401), never with a close code.
    case 1008: return invalid_argument(with_detail(base + " (undecodable audio or payload)", reason));
    default: break;
  }
  if (code >= 4000 && code <= 4999) return failed_precondition(with_detail(base, reason));
  return protocol_error(with_detail(base, reason));
}

std::optional<Duration> parse_retry_after(std::string_view value, const Clock &clock) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (auto secs = parse_decimal(value)) {
    if (!std::isfinite(*secs) || *secs > 86400.0 * 365) return std::nullopt;
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*secs));
  }
  // HTTP-date, in the three formats RFC 9110 requires recipients to accept.
  static const char *const kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                         "%a %b %d %H:%M:%S %Y"};
  const std::string text(value);
  for (const char *fmt : kFormats) {
    std::tm tm{};
    const char *end = strptime(text.c_str(), fmt, &tm);
    if (end == nullptr || *end != '\0') continue;
    const time_t when = timegm(&tm);
    if (when == static_cast<time_t>(-1)) continue;
    const auto target = std::chrono::system_clock::from_time_t(when);
    const auto now = clock.wall_now();
    if (target <= now) return Duration::zero();
    return std::chrono::duration_cast<Duration>(target - now);
  }
  return std::nullopt;
}

std::optional<Duration> retry_after_from_headers(const HttpHeaders &headers, const Clock &clock) {
  if (auto ms = find_header(headers, "retry-after-ms")) {
    if (auto v = parse_decimal(trim(*ms)); v && *v < 86400e3)
      return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(*v));
  }
  if (auto ra = find_header(headers, "retry-after")) return parse_retry_after(*ra, clock);
  return std::nullopt;
}

}  // namespace voxline
