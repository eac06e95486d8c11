// A client TCP connection on the slot loop, with TLS over memory BIOs (see tcp_tls_stream.hpp).
#include "net/tcp_tls_stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "net/slot_loop.hpp"

namespace voxline::detail {

// The uv side lives apart from the stream: libuv may still call back after the owner is gone,
// until uv_close's callback frees this block.
struct TcpTlsStream::Sock {
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_write_t write_req;
  TcpTlsStream *owner = nullptr;
  std::string inflight;  // the bytes of write_req, kept until it completes
  std::string after;     // queued behind inflight by close(after_write)
  bool writing = false;
  bool close_when_written = false;
  bool closing = false;
};

namespace {

bool is_ip_literal(const std::string &host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

void TcpTlsStream::on_closed(uv_handle_t *h) {
  delete static_cast<Sock *>(h->data);
}

void TcpTlsStream::close_lingering(uv_loop_t *loop) {
  uv_walk(
      loop,
      [](uv_handle_t *h, void *) {
        if (h->type != UV_TCP || uv_is_closing(h)) return;
        auto *s = static_cast<Sock *>(h->data);
        if (s != nullptr && s->owner == nullptr && !s->closing) close_handle(s);
      },
      nullptr);
}

void TcpTlsStream::close_handle(Sock *s) {
  s->closing = true;
  uv_close(reinterpret_cast<uv_handle_t *>(&s->tcp), &on_closed);
}

TcpTlsStream::TcpTlsStream(SlotLoop &loop, TcpTlsEvents &events) : loop_(loop), events_(events) {}

TcpTlsStream::~TcpTlsStream() {
  close();
}

int TcpTlsStream::local_port() const noexcept {
  if (sock_ == nullptr || !connected_) return 0;
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_tcp_getsockname(&sock_->tcp, reinterpret_cast<sockaddr *>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in *>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6 *>(&addr)->sin6_port);
  return 0;
}

std::string TcpTlsStream::connect(const std::string &address, int port, const TcpTlsOptions *tls) {
  if (sock_ != nullptr || dead_) return "stream already used";
  sockaddr_storage addr{};
  if (uv_ip4_addr(address.c_str(), port, reinterpret_cast<sockaddr_in *>(&addr)) != 0 &&
      uv_ip6_addr(address.c_str(), port, reinterpret_cast<sockaddr_in6 *>(&addr)) != 0)
    return "not a numeric address: " + address;
  if (tls != nullptr) {
    if (loop_.client_ssl_ctx() == nullptr) return "no TLS client context";
    tls_ = *tls;
    use_tls_ = true;
  }
  auto *s = new Sock;
  s->owner = this;
  int rc = uv_tcp_init(loop_.uv(), &s->tcp);
  if (rc != 0) {
    delete s;
    return std::string("uv_tcp_init: ") + uv_strerror(rc);
  }
  sock_ = s;
  s->tcp.data = s;
  s->connect_req.data = s;
  s->write_req.data = s;
  rc = uv_tcp_connect(&s->connect_req, &s->tcp, reinterpret_cast<const sockaddr *>(&addr), &on_connect);
  if (rc != 0) {
    close();
    dead_ = true;
    return std::string("connect: ") + uv_strerror(rc);
  }
  return {};
}

void TcpTlsStream::on_connect(uv_connect_t *req, int status) {
  auto *s = static_cast<Sock *>(req->data);
  TcpTlsStream *self = s->owner;
  if (self == nullptr) return;
  if (status != 0) return self->failed(std::string("connect: ") + uv_strerror(status), false);
  uv_tcp_nodelay(&s->tcp, 1);  // audio frames must not wait for Nagle
  const int rc = uv_read_start(reinterpret_cast<uv_stream_t *>(&s->tcp), &on_alloc, &on_read);
  if (rc != 0) return self->failed(std::string("read start: ") + uv_strerror(rc), false);
  self->read_started_ = true;
  if (self->use_tls_) return self->start_tls();
  self->connected_ = true;
  self->events_.on_stream_connected();
}

void TcpTlsStream::start_tls() {
  ssl_ = SSL_new(loop_.client_ssl_ctx());
  if (ssl_ == nullptr) return failed("SSL_new failed", true);
  BIO *rbio = BIO_new(BIO_s_mem());
  BIO *wbio = BIO_new(BIO_s_mem());
  if (rbio == nullptr || wbio == nullptr) {
    BIO_free(rbio);
    BIO_free(wbio);
    return failed("BIO_new failed", true);
  }
  BIO_set_mem_eof_return(rbio, -1);  // empty means "wait for more", not EOF
  SSL_set_bio(ssl_, rbio, wbio);
  SSL_set_connect_state(ssl_);
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(ssl_, kAlpn, sizeof kAlpn);
  const bool ip = is_ip_literal(tls_.host);
  if (!ip) SSL_set_tlsext_host_name(ssl_, tls_.host.c_str());
  if (!tls_.insecure_skip_verify) {
    SSL_set_verify(ssl_, SSL_VERIFY_PEER, nullptr);
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl_);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, tls_.host.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, tls_.host.c_str(), tls_.host.size());
    if (ok != 1) return failed("cannot check the certificate against host " + tls_.host, true);
  } else {
    SSL_set_verify(ssl_, SSL_VERIFY_NONE, nullptr);
  }
  (void)pump_tls();
}

std::string TcpTlsStream::tls_error(int rc) {
  const int err = SSL_get_error(ssl_, rc);
  std::string why;
  const long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK)
    why = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (why.empty()) why = buf;
  }
  if (why.empty()) why = "SSL error " + std::to_string(err);
  return why;
}

bool TcpTlsStream::pump_tls() {
  Sock *s = sock_;
  if (s == nullptr || ssl_ == nullptr) return false;
  if (!connected_) {
    const int rc = SSL_do_handshake(ssl_);
    take_tls_output();
    if (!flush()) return false;
    if (rc != 1) {
      const int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return true;
      failed("TLS handshake with " + tls_.host + ": " + tls_error(rc), true);
      return false;
    }
    connected_ = true;
    events_.on_stream_connected();
    if (s->owner == nullptr) return false;
  }
  uint8_t *buf = loop_.read_scratch();
  while (reading_ && !eof_) {
    const int n = SSL_read(ssl_, buf, static_cast<int>(SlotLoop::kReadScratch));
    if (n > 0) {
      events_.on_stream_data(buf, static_cast<size_t>(n));
      if (s->owner == nullptr) return false;
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) break;
    if (err == SSL_ERROR_ZERO_RETURN) {
      eof_ = true;
      events_.on_stream_eof();
      return s->owner != nullptr;
    }
    failed("TLS read from " + tls_.host + ": " + tls_error(n), true);
    return false;
  }
  take_tls_output();  // SSL_read may answer (key update, session tickets need none)
  return flush();
}

void TcpTlsStream::on_alloc(uv_handle_t *h, size_t, uv_buf_t *buf) {
  auto *s = static_cast<Sock *>(h->data);
  if (s->owner == nullptr) {
    buf->base = nullptr;
    buf->len = 0;
    return;
  }
  buf->base = reinterpret_cast<char *>(s->owner->loop_.read_scratch());
  buf->len = SlotLoop::kReadScratch;
}

void TcpTlsStream::on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  auto *s = static_cast<Sock *>(stream->data);
  TcpTlsStream *self = s->owner;
  if (self == nullptr || nread == 0) return;
  if (nread < 0) {
    if (nread == UV_EOF) {
      uv_read_stop(stream);
      self->read_started_ = false;
      if (self->use_tls_ && !self->connected_)
        return self->failed("TLS handshake with " + self->tls_.host + ": connection closed by the peer",
                            true);
      if (!self->eof_) {
        self->eof_ = true;
        self->events_.on_stream_eof();
      }
      return;
    }
    return self->failed(std::string("read: ") + uv_strerror(static_cast<int>(nread)), false);
  }
  if (!self->use_tls_) {
    self->events_.on_stream_data(reinterpret_cast<const uint8_t *>(buf->base), static_cast<size_t>(nread));
    return;
  }
  BIO_write(SSL_get_rbio(self->ssl_), buf->base, static_cast<int>(nread));
  (void)self->pump_tls();
}

void TcpTlsStream::deliver_buffered() {
  if (use_tls_ && reading_ && sock_ != nullptr) (void)pump_tls();
}

void TcpTlsStream::set_reading(bool on) {
  reading_ = on;
  if (sock_ == nullptr || eof_ || !connected_) return;
  auto *st = reinterpret_cast<uv_stream_t *>(&sock_->tcp);
  if (on && !read_started_) {
    read_started_ = uv_read_start(st, &on_alloc, &on_read) == 0;
  } else if (!on && read_started_) {
    uv_read_stop(st);
    read_started_ = false;
  }
}

bool TcpTlsStream::write(const uint8_t *data, size_t len) {
  if (sock_ == nullptr || dead_) return false;
  if (!use_tls_) {
    if (pending_off_ == pending_.size()) {
      pending_.clear();
      pending_off_ = 0;
    }
    pending_.append(reinterpret_cast<const char *>(data), len);
    return true;
  }
  while (len > 0) {
    const int chunk = static_cast<int>(std::min<size_t>(len, 1u << 30));
    const int n = SSL_write(ssl_, data, chunk);
    if (n <= 0) {
      failed("TLS write to " + tls_.host + ": " + tls_error(n), true);
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  take_tls_output();
  return true;
}

void TcpTlsStream::take_tls_output() {
  if (ssl_ == nullptr) return;
  BIO *wbio = SSL_get_wbio(ssl_);
  const size_t n = BIO_ctrl_pending(wbio);
  if (n == 0) return;
  if (pending_off_ == pending_.size()) {
    pending_.clear();
    pending_off_ = 0;
  }
  const size_t old = pending_.size();
  pending_.resize(old + n);
  const int got = BIO_read(wbio, &pending_[old], static_cast<int>(n));
  pending_.resize(old + static_cast<size_t>(got > 0 ? got : 0));
}

bool TcpTlsStream::flush() {
  Sock *s = sock_;
  if (s == nullptr || dead_) return false;
  if (s->writing || pending_off_ == pending_.size()) return true;
  auto *st = reinterpret_cast<uv_stream_t *>(&s->tcp);
  uv_buf_t b = uv_buf_init(&pending_[pending_off_], static_cast<unsigned>(pending_.size() - pending_off_));
  const int n = uv_try_write(st, &b, 1);
  if (n < 0 && n != UV_EAGAIN) {
    failed(std::string("write: ") + uv_strerror(n), false);
    return false;
  }
  if (n > 0) pending_off_ += static_cast<size_t>(n);
  if (pending_off_ == pending_.size()) {
    pending_.clear();
    pending_off_ = 0;
    return true;
  }
  // The socket is full: the rest goes out as one uv_write, and the caller waits for writable.
  s->inflight.assign(pending_, pending_off_, std::string::npos);
  pending_.clear();
  pending_off_ = 0;
  uv_buf_t rest = uv_buf_init(&s->inflight[0], static_cast<unsigned>(s->inflight.size()));
  const int rc = uv_write(&s->write_req, st, &rest, 1, &on_written);
  if (rc != 0) {
    failed(std::string("write: ") + uv_strerror(rc), false);
    return false;
  }
  s->writing = true;
  want_writable_ = true;
  return true;
}

void TcpTlsStream::on_written(uv_write_t *req, int status) {
  auto *s = static_cast<Sock *>(req->data);
  s->writing = false;
  s->inflight.clear();
  TcpTlsStream *self = s->owner;
  if (self == nullptr) {
    if (!s->close_when_written || s->closing) return;
    if (status == 0 && !s->after.empty()) {
      s->inflight.swap(s->after);
      uv_buf_t rest = uv_buf_init(&s->inflight[0], static_cast<unsigned>(s->inflight.size()));
      if (uv_write(&s->write_req, reinterpret_cast<uv_stream_t *>(&s->tcp), &rest, 1, &on_written) == 0) {
        s->writing = true;
        return;
      }
    }
    close_handle(s);
    return;
  }
  if (status != 0) return self->failed(std::string("write: ") + uv_strerror(status), false);
  if (!self->flush()) return;
  if (!s->writing && self->want_writable_) {
    self->want_writable_ = false;
    self->events_.on_stream_writable();
  }
}

size_t TcpTlsStream::backlog() const noexcept {
  return (pending_.size() - pending_off_) + (sock_ != nullptr ? sock_->inflight.size() : 0);
}

void TcpTlsStream::failed(const std::string &why, bool tls) {
  if (dead_ || sock_ == nullptr) return;
  dead_ = true;
  if (read_started_) {
    uv_read_stop(reinterpret_cast<uv_stream_t *>(&sock_->tcp));
    read_started_ = false;
  }
  events_.on_stream_failed(why, tls);
}

void TcpTlsStream::close(bool after_write) {
  Sock *s = sock_;
  if (s != nullptr) {
    sock_ = nullptr;
    s->owner = nullptr;
    if (ssl_ != nullptr && connected_ && !dead_) {
      SSL_shutdown(ssl_);  // close_notify, best effort
      take_tls_output();
    }
    if (!dead_ && pending_off_ < pending_.size()) {
      if (s->writing) {
        if (after_write) s->after.assign(pending_, pending_off_, std::string::npos);
      } else {
        uv_buf_t b =
            uv_buf_init(&pending_[pending_off_], static_cast<unsigned>(pending_.size() - pending_off_));
        const int n = uv_try_write(reinterpret_cast<uv_stream_t *>(&s->tcp), &b, 1);
        if (n > 0) pending_off_ += static_cast<size_t>(n);
        if (after_write && pending_off_ < pending_.size()) {
          s->inflight.assign(pending_, pending_off_, std::string::npos);
          uv_buf_t rest = uv_buf_init(&s->inflight[0], static_cast<unsigned>(s->inflight.size()));
          if (uv_write(&s->write_req, reinterpret_cast<uv_stream_t *>(&s->tcp), &rest, 1, &on_written) == 0)
            s->writing = true;
        }
      }
    }
    if (after_write && s->writing && !dead_) {
      s->close_when_written = true;  // on_written closes the handle
    } else {
      close_handle(s);
    }
  }
  pending_.clear();
  pending_off_ = 0;
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  connected_ = false;
  dead_ = true;
}

}  // namespace voxline::detail
