// The client side of the websocket opening handshake (see ws_handshake.hpp).
#include "net/ws_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>

#include "voxline/core/strings.hpp"

namespace voxline::detail {

namespace {

std::string base64(const unsigned char *data, size_t len) {
  std::string out(4 * ((len + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(&out[0]), data, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string ws_make_key() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    // The key only proves the server speaks websocket (it is no secret); the loop must not stop.
    for (unsigned char &b : raw) b = static_cast<unsigned char>(std::rand());
  }
  return base64(raw, sizeof raw);
}

std::string ws_accept_for(std::string_view key) {
  std::string text(key);
  text += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), digest, &n, EVP_sha1(), nullptr);
  return base64(digest, n);
}

std::string ws_build_upgrade_request(const Url &url, const HttpHeaders &headers,
                                     const std::string &subprotocol, const std::string &key) {
  const std::string host = url.host_header();
  std::string r;
  r.reserve(256);
  r += "GET " + url.path_and_query + " HTTP/1.1\r\n";
  r += "Host: " + host + "\r\n";
  r += "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  r += "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n";
  r += std::string("Origin: ") + (url.tls ? "https://" : "http://") + host + "\r\n";
  if (!subprotocol.empty()) r += "Sec-WebSocket-Protocol: " + subprotocol + "\r\n";
  for (const auto &h : headers) r += h.first + ": " + h.second + "\r\n";
  r += "\r\n";
  return r;
}

size_t WsHandshakeParser::feed(const char *data, size_t len) {
  if (done_ || failed()) return 0;
  // The end of the head may straddle two reads: look from 3 bytes before the new data.
  const size_t before = head_.size();
  const size_t take = std::min(len, kMaxHead + 4 - std::min(before, kMaxHead + 4));
  head_.append(data, take);
  const size_t from = before >= 3 ? before - 3 : 0;
  const size_t end = head_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    if (head_.size() > kMaxHead) error_ = "response head larger than 16 KB";
    return take;
  }
  const size_t used = end + 4 - before;
  head_.resize(end + 2);  // keep the last header's CRLF
  parse_head();
  done_ = error_.empty();
  return used;
}

void WsHandshakeParser::parse_head() {
  std::string_view rest(head_);
  size_t eol = rest.find("\r\n");
  const std::string_view status_line = rest.substr(0, eol);
  rest.remove_prefix(eol + 2);
  // "HTTP/1.1 101 Switching Protocols"
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/" ||
      status_line.find(' ') == std::string::npos) {
    error_ = "not an HTTP response: '" + std::string(status_line.substr(0, 64)) + "'";
    return;
  }
  const size_t sp = status_line.find(' ');
  std::string_view code = status_line.substr(sp + 1, 3);
  if (code.size() != 3 ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    error_ = "HTTP response without a status code";
    return;
  }
  status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (status_line.size() > sp + 5) reason_ = std::string(trim(status_line.substr(sp + 5)));
  while (!rest.empty()) {
    eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error_ = "malformed response header line";
      return;
    }
    headers_.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
}

std::string WsHandshakeParser::accepts(std::string_view key, const std::string &subprotocol) const {
  if (status_ != 101) return "status " + std::to_string(status_) + ", not 101";
  auto upgrade = find_header(headers_, "upgrade");
  if (!upgrade || !iequals(*upgrade, "websocket")) return "no 'Upgrade: websocket' in the answer";
  auto connection = find_header(headers_, "connection");
  if (!connection || !list_has_token(*connection, "upgrade")) return "no 'Connection: upgrade' in the answer";
  auto accept = find_header(headers_, "sec-websocket-accept");
  if (!accept || *accept != ws_accept_for(key)) return "Sec-WebSocket-Accept does not match the key";
  auto proto = find_header(headers_, "sec-websocket-protocol");
  if (subprotocol.empty() && proto) return "the server chose a subprotocol that was not offered";
  if (!subprotocol.empty() && (!proto || *proto != subprotocol))
    return "the server did not accept subprotocol '" + subprotocol + "'";
  if (find_header(headers_, "sec-websocket-extensions"))
    return "the server chose an extension that was not offered";
  return {};
}

}  // namespace voxline::detail
