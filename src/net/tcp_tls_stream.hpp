// Internal: TcpTlsStream, one client TCP connection on a slot's uv loop, optionally wrapped in
// TLS (OpenSSL over memory BIOs, so the socket stays libuv's and no fd is handed to OpenSSL).
// The websocket transport (WsConn) runs on it.
//
//   TcpTlsStream s(loop, events);
//   s.connect("93.184.216.34", 443, &tls);       // numeric address: DNS happened off the loop
//   ... events.on_stream_connected()              // TCP up, and TLS verified when asked for
//   s.write(p, n); s.write(q, m); s.flush();      // one syscall for both, usually
//   ... events.on_stream_data(plain, len)         // decrypted bytes, valid during the call
//   s.close();                                    // no event follows
//
// TLS: the slot's client SSL_CTX (its trust store); SNI unless the host is an IP literal; the
// peer certificate must chain to a trusted root and match the host name (or IP), unless
// insecure_skip_verify; ALPN offers http/1.1 only.
// Writes: write() only queues (TLS encrypts into the queue); flush() hands the queue to the
// kernel with uv_try_write, and what the socket does not take goes out in one uv_write at a time.
// backlog() is what is queued or in flight; on_stream_writable() fires when a flush had to wait
// and everything has since been written.
// Reading: set_reading(false) stops reading from the socket and stops handing on plaintext
// already decrypted; set_reading(true) restarts the socket, and deliver_buffered() (called by the
// owner outside any stream event, e.g. from a posted task) hands on what TLS holds already.
// Threads: loop thread only. Re-entrancy: events may call any method, close() included, and may
// destroy the stream's owner: the stream touches nothing of itself after an event once it was
// closed (the uv handle lives in a separate block freed by its close callback).
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <string>

struct ssl_st;
struct ssl_ctx_st;

namespace voxline::detail {

class SlotLoop;

class TcpTlsEvents {
 public:
  virtual ~TcpTlsEvents() = default;
  virtual void on_stream_connected() = 0;
  virtual void on_stream_data(const uint8_t *data, size_t len) = 0;
  virtual void on_stream_writable() = 0;
  // The peer ended its side (TCP FIN or TLS close_notify).
  virtual void on_stream_eof() = 0;
  // Connect, TLS or socket failure; `tls` when TLS refused (certificate, handshake). The stream
  // is dead: close() it.
  virtual void on_stream_failed(const std::string &why, bool tls) = 0;
};

struct TcpTlsOptions {
  std::string host;  // for SNI and the certificate check
  bool insecure_skip_verify = false;
};

class TcpTlsStream {
 public:
  TcpTlsStream(SlotLoop &loop, TcpTlsEvents &events);
  ~TcpTlsStream();  // closes
  TcpTlsStream(const TcpTlsStream &) = delete;
  TcpTlsStream &operator=(const TcpTlsStream &) = delete;

  // Starts connecting to a numeric IPv4/IPv6 address; TLS when `tls` is given. An error here
  // means nothing was started (bad address, no TLS context).
  std::string connect(const std::string &address, int port, const TcpTlsOptions *tls);
  bool connected() const noexcept { return connected_; }
  // The client side's port once connected (0 before, or when the socket cannot tell).
  int local_port() const noexcept;

  // Queues bytes (copied, or encrypted); false once the stream failed or closed.
  bool write(const uint8_t *data, size_t len);
  // Hands what is queued to the kernel. false when the socket refused (the stream failed; an
  // on_stream_failed follows from the loop).
  bool flush();
  size_t backlog() const noexcept;
  void set_reading(bool on);
  void deliver_buffered();
  // Closes at once: queued bytes are dropped, a TLS close_notify is sent when the socket takes
  // it without waiting. With `after_write`, what is queued or in flight is written first (the
  // websocket close frame). No event follows either way.
  void close(bool after_write = false);
  // Closes the sockets of streams closed with after_write whose last bytes are still being
  // written (slot shutdown: uv_run must end).
  static void close_lingering(uv_loop_t *loop);

 private:
  struct Sock;
  static void on_connect(uv_connect_t *req, int status);
  static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf);
  static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
  static void on_written(uv_write_t *req, int status);
  static void on_closed(uv_handle_t *h);
  static void close_handle(Sock *s);
  void start_tls();
  // Runs the handshake or reads plaintext out of TLS; false when the stream was closed meanwhile.
  bool pump_tls();
  bool handshake_done();
  void failed(const std::string &why, bool tls);
  void take_tls_output();
  std::string tls_error(int rc);

  SlotLoop &loop_;
  TcpTlsEvents &events_;
  Sock *sock_ = nullptr;  // nullptr once closed
  ssl_st *ssl_ = nullptr;
  TcpTlsOptions tls_;
  bool use_tls_ = false;
  bool connected_ = false;
  bool reading_ = true;
  bool read_started_ = false;
  bool eof_ = false;
  bool dead_ = false;  // failed: writes refused
  bool want_writable_ = false;
  std::string pending_;  // queued, not yet handed to the kernel
  size_t pending_off_ = 0;
};

}  // namespace voxline::detail
