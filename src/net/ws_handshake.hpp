// Internal: the websocket opening handshake of a client (RFC 6455 section 4): the upgrade
// request, and WsHandshakeParser for the server's answer, which it checks.
//
//   const std::string key = ws_make_key();
//   stream.write(ws_build_upgrade_request(url, headers, subprotocol, key));
//   WsHandshakeParser p;
//   size_t used = p.feed(data, len);         // until p.done() or p.failed()
//   if (p.done() && p.status() == 101) { std::string why = p.accepts(key, subprotocol); ... }
//   // data + used onwards are websocket frames (or, for a refusal, the response body)
//
// The response head is limited to 16 KB. Header names are lower-cased, values trimmed; repeated
// headers are kept in order. accepts() wants 101, "Upgrade: websocket", a Connection header
// holding "upgrade", the Sec-WebSocket-Accept derived from our key, the subprotocol we asked for
// (or none when we asked for none) and no Sec-WebSocket-Extensions (we offer none).
// Threads: pure functions; a parser belongs to one connection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "voxline/net/http_status.hpp"
#include "voxline/net/url.hpp"

namespace voxline::detail {

// 16 random bytes (OpenSSL's CSPRNG), base64: the Sec-WebSocket-Key.
std::string ws_make_key();
// base64(SHA-1(key + the RFC 6455 GUID)): the Sec-WebSocket-Accept a server must answer.
std::string ws_accept_for(std::string_view key);
// GET request with Host (port included when not the default), Origin, Upgrade, Connection,
// Sec-WebSocket-Key/Version, the subprotocol when given, then `headers` as given.
std::string ws_build_upgrade_request(const Url &url, const HttpHeaders &headers,
                                     const std::string &subprotocol, const std::string &key);

class WsHandshakeParser {
 public:
  static constexpr size_t kMaxHead = 16 * 1024;

  // Consumes bytes of the response head; returns how many (the rest is not the head's).
  size_t feed(const char *data, size_t len);
  bool done() const noexcept { return done_; }
  bool failed() const noexcept { return !error_.empty(); }
  const std::string &error() const noexcept { return error_; }

  int status() const noexcept { return status_; }
  const std::string &reason() const noexcept { return reason_; }
  const HttpHeaders &headers() const noexcept { return headers_; }
  // Empty when the answer upgrades the connection as asked, else why not.
  std::string accepts(std::string_view key, const std::string &subprotocol) const;

 private:
  void parse_head();
  std::string head_;
  bool done_ = false;
  std::string error_;
  int status_ = 0;
  std::string reason_;
  HttpHeaders headers_;
};

}  // namespace voxline::detail
