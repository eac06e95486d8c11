// File: http_status.hpp
// Helpers that turn what an HTTP or websocket peer said into voxline Status codes, and that read
// the server's "retry after" hints. Used by HttpStream, WsConnection and RetryPolicy.
//
//   Status s = status_from_http(429, body_snippet);           // RATE_LIMITED
//   std::optional<Duration> wait = retry_after_from_headers(headers, Clock::system());
//
// Thread-safety: pure functions; call from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"

namespace voxline {

using HttpHeader = std::pair<std::string, std::string>;
using HttpHeaders = std::vector<HttpHeader>;

// Case-insensitive header lookup; the first match wins.
VOXLINE_API std::optional<std::string_view> find_header(const HttpHeaders &headers, std::string_view name);

// Maps an HTTP status to a Status: 2xx OK; 401/403 UNAUTHENTICATED; 429 RATE_LIMITED; 408 TIMEOUT;
// 404 NOT_FOUND; 409 CONFLICT; other 4xx INVALID_ARGUMENT; 5xx UNAVAILABLE; anything else
// PROTOCOL_ERROR. `detail` (e.g. the start of the error body) is appended to the message.
VOXLINE_API Status status_from_http(int http_status, std::string_view detail = {});

// Maps a websocket close code to a Status: 1000 OK; 1001 and 1011-1014 UNAVAILABLE; 1008
// INVALID_ARGUMENT (policy violation: Deepgram's DATA error, undecodable audio or payload);
// 1009 PROTOCOL_ERROR (message too big); 1002/1003/1007 PROTOCOL_ERROR; 1006 (no close frame)
// UNAVAILABLE; 4000-4999 (application codes) FAILED_PRECONDITION; others PROTOCOL_ERROR.
VOXLINE_API Status status_from_close_code(int code, std::string_view reason = {});

// Parses a Retry-After value: delay-seconds (integer or decimal) or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime), the latter relative to clock.wall_now(). Past dates give zero.
VOXLINE_API std::optional<Duration> parse_retry_after(std::string_view value, const Clock &clock);

// The server's requested delay from "retry-after-ms" (preferred) or "retry-after".
VOXLINE_API std::optional<Duration> retry_after_from_headers(const HttpHeaders &headers, const Clock &clock);

}  // namespace voxline
