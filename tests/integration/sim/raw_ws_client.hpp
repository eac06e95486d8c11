// File: raw_ws_client.hpp
// RawWsClient: a deliberately small, blocking RFC 6455 client (plain TCP or OpenSSL TLS) used
// only to test voxline-sim independently of src/net. Every call takes a deadline; a failed
// handshake keeps the HTTP status, headers and body the server sent.
// Thread-safety: one thread per client.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace voxline::simtest {

struct WsFrame {
  enum class Type { kText, kBinary, kClose, kTimeout, kEof, kError } type = Type::kError;
  std::string payload;  // text/binary payload; close reason
  int close_code = 0;
  int64_t t_ms = 0;  // receive time since the client connected
};

struct WsConnectOptions {
  std::map<std::string, std::string> headers;  // extra upgrade headers (e.g. Authorization)
  bool tls = false;
  std::string ca_file;  // TLS: trust this CA (full verification incl. host name)
  std::string host_name = "127.0.0.1";
  int timeout_ms = 3000;
};

class RawWsClient {
 public:
  RawWsClient() = default;
  ~RawWsClient();
  RawWsClient(const RawWsClient &) = delete;
  RawWsClient &operator=(const RawWsClient &) = delete;

  // True when the server answered 101; otherwise status()/response_body() say why.
  bool connect(int port, const std::string &path_and_query, const WsConnectOptions &opts = {});
  int status() const { return status_; }
  const std::string &error() const { return error_; }
  const std::string &response_body() const { return response_body_; }
  std::string response_header(const std::string &lower_name) const;

  bool send_text(const std::string &text) { return send_frame(0x1, text); }
  bool send_binary(const std::string &data) { return send_frame(0x2, data); }
  bool send_close(int code, const std::string &reason);

  // Next data or close frame (pings are answered, pongs skipped); kTimeout after timeout_ms.
  WsFrame recv(int timeout_ms = 3000);
  // Frames until (and including) a close / EOF / timeout.
  std::vector<WsFrame> recv_until_closed(int timeout_ms = 3000);
  int64_t elapsed_ms() const;

 private:
  bool send_frame(int opcode, const std::string &payload);
  bool write_all(const std::string &data);
  // Reads at least one byte into rx_ (false on timeout/EOF/error, with eof_ set on EOF).
  bool fill(int64_t deadline_ms);
  bool need(size_t n, int64_t deadline_ms);

  int fd_ = -1;
  SSL_CTX *ssl_ctx_ = nullptr;
  SSL *ssl_ = nullptr;
  int status_ = 0;
  bool eof_ = false;
  std::string error_, response_body_, rx_;
  std::map<std::string, std::string> response_headers_;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

}  // namespace voxline::simtest
