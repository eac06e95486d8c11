// The client opening handshake (RFC 6455 section 4): the request we send, and every check on
// the server's answer, fed whole and split at every offset.
#include "net/ws_handshake.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace voxline;
using namespace voxline::detail;

namespace {

Url url_of(const std::string &text) {
  auto u = parse_url(text);
  REQUIRE(u.ok());
  return *u;
}

std::string answer(const std::string &key, const std::string &extra = "") {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         ws_accept_for(key) + "\r\n" + extra + "\r\n";
}

}  // namespace

TEST_CASE("Sec-WebSocket-Accept matches the RFC 6455 example and keys are fresh 16-byte values") {
  CHECK(ws_accept_for("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  std::set<std::string> keys;
  for (int i = 0; i < 100; ++i) {
    const std::string k = ws_make_key();
    CHECK(k.size() == 24);  // base64 of 16 bytes
    CHECK(k.substr(22) == "==");
    keys.insert(k);
  }
  CHECK(keys.size() == 100);
}

TEST_CASE(
    "the upgrade request carries Host with a non-default port, Origin, the subprotocol and our headers") {
  const std::string r = ws_build_upgrade_request(url_of("wss://api.example.com:8443/v1/listen?model=nova-3"),
                                                 {{"Authorization", "Token k"}}, "chat", "KEY");
  CHECK(r.rfind("GET /v1/listen?model=nova-3 HTTP/1.1\r\n", 0) == 0);
  CHECK(r.find("\r\nHost: api.example.com:8443\r\n") != std::string::npos);
  CHECK(r.find("\r\nOrigin: https://api.example.com:8443\r\n") != std::string::npos);
  CHECK(r.find("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n") != std::string::npos);
  CHECK(r.find("\r\nSec-WebSocket-Key: KEY\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos);
  CHECK(r.find("\r\nSec-WebSocket-Protocol: chat\r\n") != std::string::npos);
  CHECK(r.find("\r\nAuthorization: Token k\r\n") != std::string::npos);
  CHECK(r.substr(r.size() - 4) == "\r\n\r\n");
  const std::string plain = ws_build_upgrade_request(url_of("ws://[::1]/x"), {}, "", "K");
  CHECK(plain.find("\r\nHost: [::1]\r\n") != std::string::npos);
  CHECK(plain.find("Sec-WebSocket-Protocol") == std::string::npos);
}

TEST_CASE("a 101 answer split at every offset is accepted and leaves the frame bytes after it") {
  const std::string key = ws_make_key();
  const std::string wire = answer(key, "dg-request-id: abc\r\n") + "\x81\x02hi";
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    WsHandshakeParser p;
    size_t used = p.feed(wire.data(), cut);
    if (!p.done()) used += p.feed(wire.data() + used, wire.size() - used);
    REQUIRE(p.done());
    CHECK(p.status() == 101);
    CHECK(wire.substr(used) == "\x81\x02hi");
    CHECK(p.accepts(key, "").empty());
    CHECK(find_header(p.headers(), "dg-request-id") == std::string_view("abc"));
  }
}

TEST_CASE("answers that do not upgrade as asked are refused with the reason") {
  const std::string key = ws_make_key();
  auto why = [&](const std::string &wire, const std::string &proto = "") {
    WsHandshakeParser p;
    p.feed(wire.data(), wire.size());
    REQUIRE(p.done());
    return p.accepts(key, proto);
  };
  CHECK(why(answer(key)).empty());
  CHECK(why("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n").find("401") != std::string::npos);
  CHECK(why("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + ws_accept_for(key) +
            "\r\n\r\n")
            .find("Upgrade") != std::string::npos);
  CHECK(why("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Accept: " +
            ws_accept_for(key) + "\r\n\r\n")
            .find("Connection") != std::string::npos);
  CHECK(why("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive, "
            "Upgrade\r\nSec-WebSocket-Accept: " +
            ws_accept_for(key) + "\r\n\r\n")
            .empty());
  CHECK(why("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
            "AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n")
            .find("Accept") != std::string::npos);
  CHECK(why(answer(key, "Sec-WebSocket-Protocol: chat\r\n")).find("not offered") != std::string::npos);
  CHECK(why(answer(key), "chat").find("subprotocol") != std::string::npos);
  CHECK(why(answer(key, "Sec-WebSocket-Protocol: chat\r\n"), "chat").empty());
  CHECK(why(answer(key, "Sec-WebSocket-Extensions: permessage-deflate\r\n")).find("extension") !=
        std::string::npos);
}

TEST_CASE("a refusal keeps its status, reason and every header, lower-cased and trimmed, in order") {
  const std::string wire =
      "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After:  2 \r\n"
      "dg-error: slow down\r\nX-A: 1\r\nX-A: 2\r\nContent-Length: 13\r\n\r\n{\"err\":\"429\"}";
  WsHandshakeParser p;
  const size_t used = p.feed(wire.data(), wire.size());
  REQUIRE(p.done());
  CHECK(p.status() == 429);
  CHECK(p.reason() == "Too Many Requests");
  REQUIRE(p.headers().size() == 6);
  CHECK(p.headers()[1] == HttpHeader{"retry-after", "2"});
  CHECK(p.headers()[3] == HttpHeader{"x-a", "1"});
  CHECK(p.headers()[4] == HttpHeader{"x-a", "2"});
  CHECK(wire.substr(used) == "{\"err\":\"429\"}");
}

TEST_CASE("a head that is not HTTP, malformed, or over 16 KB fails the parser") {
  auto fails = [](const std::string &wire) {
    WsHandshakeParser p;
    p.feed(wire.data(), wire.size());
    return p.failed();
  };
  CHECK(fails("SSH-2.0-OpenSSH\r\n\r\n"));
  CHECK(fails("HTTP/1.1 abc Nope\r\n\r\n"));
  CHECK(fails("HTTP/1.1 101 OK\r\nno colon here\r\n\r\n"));
  WsHandshakeParser big;
  const std::string line = "X-Pad: " + std::string(1000, 'p') + "\r\n";
  std::string head = "HTTP/1.1 101 OK\r\n";
  while (head.size() <= WsHandshakeParser::kMaxHead) head += line;
  big.feed(head.data(), head.size());
  CHECK(big.failed());
  CHECK(big.error().find("16 KB") != std::string::npos);
  CHECK(big.feed("\r\n", 2) == 0);
}
