// Blocking RFC 6455 test client: handshake, masked frames out, unmasked frames in, deadlines via poll.
#include "integration/sim/raw_ws_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <random>

namespace voxline::simtest {
namespace {

std::string lower(std::string s) {
  for (char &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

RawWsClient::~RawWsClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
  if (fd_ >= 0) ::close(fd_);
}

int64_t RawWsClient::elapsed_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0_)
      .count();
}

std::string RawWsClient::response_header(const std::string &lower_name) const {
  auto it = response_headers_.find(lower_name);
  return it == response_headers_.end() ? std::string() : it->second;
}

bool RawWsClient::write_all(const std::string &data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ssl_ != nullptr ? SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off))
                                : ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      if (ssl_ == nullptr && errno == EINTR) continue;
      error_ = "write failed";
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

bool RawWsClient::fill(int64_t deadline_ms) {
  char buf[16384];
  while (true) {
    if (ssl_ != nullptr && SSL_pending(ssl_) > 0) {
      int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n > 0) {
        rx_.append(buf, static_cast<size_t>(n));
        return true;
      }
    }
    int64_t left = deadline_ms - now_ms();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n;
    if (ssl_ != nullptr) {
      n = SSL_read(ssl_, buf, sizeof(buf));
      if (n <= 0) {
        int e = SSL_get_error(ssl_, static_cast<int>(n));
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) continue;
        eof_ = true;
        return false;
      }
    } else {
      n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        return false;
      }
    }
    rx_.append(buf, static_cast<size_t>(n));
    return true;
  }
}

bool RawWsClient::need(size_t n, int64_t deadline_ms) {
  while (rx_.size() < n)
    if (!fill(deadline_ms)) return false;
  return true;
}

bool RawWsClient::connect(int port, const std::string &path, const WsConnectOptions &opts) {
  t0_ = std::chrono::steady_clock::now();
  const int64_t deadline = now_ms() + opts.timeout_ms;
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) {
    error_ = "socket failed";
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0) {
    error_ = std::string("connect failed: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (opts.tls) {
    ssl_ctx_ = SSL_CTX_new(TLS_client_method());
    if (!opts.ca_file.empty()) {
      SSL_CTX_load_verify_locations(ssl_ctx_, opts.ca_file.c_str(), nullptr);
    }
    SSL_CTX_set_verify(ssl_ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ssl_ctx_);
    SSL_set_fd(ssl_, fd_);
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl_);
    if (opts.host_name == "127.0.0.1") {
      X509_VERIFY_PARAM_set1_ip_asc(param, "127.0.0.1");
    } else {
      X509_VERIFY_PARAM_set1_host(param, opts.host_name.c_str(), 0);
      SSL_set_tlsext_host_name(ssl_, opts.host_name.c_str());
    }
    if (SSL_connect(ssl_) != 1) {
      char buf[256];
      ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
      error_ = std::string("TLS handshake failed: ") + buf;
      return false;
    }
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + opts.host_name + ":" + std::to_string(port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  for (const auto &[k, v] : opts.headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  if (!write_all(req)) return false;
  size_t end;
  while ((end = rx_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) {
      error_ = eof_ ? "connection closed during handshake" : "handshake timed out";
      return false;
    }
  }
  std::string head = rx_.substr(0, end);
  rx_.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() >= 12) status_ = std::atoi(status_line.c_str() + 9);
  size_t pos = line_end;
  while (pos != std::string::npos && pos < head.size()) {
    size_t next = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      response_headers_[lower(line.substr(0, colon))] = v;
    }
    pos = next;
  }
  if (status_ == 101) return true;
  size_t len = static_cast<size_t>(std::atol(response_header("content-length").c_str()));
  need(len, deadline);
  response_body_ = rx_.substr(0, len);
  error_ = "handshake refused with HTTP " + std::to_string(status_);
  return false;
}

bool RawWsClient::send_frame(int opcode, const std::string &payload) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));
  const size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((static_cast<uint64_t>(n) >> (8 * i)) & 0xFF));
  }
  static thread_local std::mt19937 rng(12345);
  unsigned char mask[4];
  for (auto &m : mask) m = static_cast<unsigned char>(rng());
  f.append(reinterpret_cast<char *>(mask), 4);
  for (size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return write_all(f);
}

bool RawWsClient::send_close(int code, const std::string &reason) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  p += reason;
  return send_frame(0x8, p);
}

WsFrame RawWsClient::recv(int timeout_ms) {
  const int64_t deadline = now_ms() + timeout_ms;
  std::string message;
  int message_opcode = -1;
  while (true) {
    WsFrame out;
    if (!need(2, deadline)) {
      out.type = eof_ ? WsFrame::Type::kEof : WsFrame::Type::kTimeout;
      out.t_ms = elapsed_ms();
      return out;
    }
    const auto b0 = static_cast<unsigned char>(rx_[0]);
    const auto b1 = static_cast<unsigned char>(rx_[1]);
    const bool fin = (b0 & 0x80) != 0;
    const int opcode = b0 & 0x0F;
    uint64_t len = b1 & 0x7F;
    size_t hdr = 2;
    if (len == 126) {
      if (!need(4, deadline))
        return {eof_ ? WsFrame::Type::kEof : WsFrame::Type::kTimeout, {}, 0, elapsed_ms()};
      len = (static_cast<unsigned char>(rx_[2]) << 8) | static_cast<unsigned char>(rx_[3]);
      hdr = 4;
    } else if (len == 127) {
      if (!need(10, deadline))
        return {eof_ ? WsFrame::Type::kEof : WsFrame::Type::kTimeout, {}, 0, elapsed_ms()};
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(rx_[2 + i]);
      hdr = 10;
    }
    if (!need(hdr + len, deadline))
      return {eof_ ? WsFrame::Type::kEof : WsFrame::Type::kTimeout, {}, 0, elapsed_ms()};
    std::string payload = rx_.substr(hdr, len);
    rx_.erase(0, hdr + len);
    if (opcode == 0x9) {  // ping -> pong
      send_frame(0xA, payload);
      continue;
    }
    if (opcode == 0xA) continue;
    if (opcode == 0x8) {
      out.type = WsFrame::Type::kClose;
      if (payload.size() >= 2)
        out.close_code =
            (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
      else
        out.close_code = 1005;
      out.payload = payload.size() > 2 ? payload.substr(2) : "";
      out.t_ms = elapsed_ms();
      send_close(out.close_code == 1005 ? 1000 : out.close_code, "");
      return out;
    }
    if (opcode != 0x0) message_opcode = opcode;
    message += payload;
    if (!fin) continue;
    out.type = message_opcode == 0x2 ? WsFrame::Type::kBinary : WsFrame::Type::kText;
    out.payload = std::move(message);
    out.t_ms = elapsed_ms();
    return out;
  }
}

std::vector<WsFrame> RawWsClient::recv_until_closed(int timeout_ms) {
  std::vector<WsFrame> frames;
  while (true) {
    WsFrame f = recv(timeout_ms);
    frames.push_back(f);
    if (f.type != WsFrame::Type::kText && f.type != WsFrame::Type::kBinary) return frames;
  }
}

}  // namespace voxline::simtest
