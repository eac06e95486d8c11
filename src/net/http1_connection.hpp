// Internal: Http1Connection, one keep-alive HTTP/1.1 client connection of a slot's Http1Pool
// (TcpTlsStream underneath: the websockets' TCP/TLS transport), and Http1Exchange, what the
// request it serves hears. One request at a time (no pipelining); between requests the
// connection waits idle in the pool.
//
//   Http1Connection *c = pool.start(url, addrs, request, exchange, ...);
//   ... exchange.on_http1_connected()            // a new connection's TCP (+TLS) is up
//   ... exchange.on_http1_status / _header / _head_complete / _body ...
//   ... exchange.on_http1_done(status, stale)    // the connection is no longer the exchange's
//   pool.abandon(c);                             // the exchange gives up first (cancel, deadline)
//
// States: connecting -> busy (request written, response being read) -> idle (back in the pool)
// -> busy ...; any failure, a response without keep-alive, bytes while idle, or an abandoned
// response -> dead (closed; the pool frees it on a later loop turn, never inside its events).
// Threads: the slot's loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/http1_response_parser.hpp"
#include "net/tcp_tls_stream.hpp"
#include "voxline/core/status.hpp"
#include "voxline/net/http_stream.hpp"
#include "voxline/net/url.hpp"

namespace voxline::detail {

class Http1Pool;

class Http1Exchange {
 public:
  virtual ~Http1Exchange() = default;
  // The new connection is up (TCP, and TLS verified): the request has been written.
  virtual void on_http1_connected() = 0;
  virtual void on_http1_status(int status, int minor_version) = 0;
  virtual void on_http1_header(std::string_view name, std::string_view value) = 0;
  virtual void on_http1_head_complete() = 0;
  // False stops the response: the connection closes and on_http1_done(CANCELLED) follows.
  virtual bool on_http1_body(const char *data, size_t len) = 0;
  // The exchange is over and the connection no longer refers to it: OK when the response was read
  // to its end. `stale`: a connection that had served an earlier request died before any byte of
  // this response arrived (the server dropped it while idle), so the request may be resent once on
  // a fresh connection.
  virtual void on_http1_done(Status status, bool stale) = 0;
};

class Http1Connection final : public TcpTlsEvents, public Http1ResponseEvents {
 public:
  enum class State { kConnecting, kBusy, kIdle, kDead };

  Http1Connection(Http1Pool &pool, SlotLoop &loop, std::string origin, const Url &url,
                  std::vector<std::string> addrs, bool insecure_skip_verify);
  ~Http1Connection() override;
  Http1Connection(const Http1Connection &) = delete;
  Http1Connection &operator=(const Http1Connection &) = delete;

  // Starts connecting (to each address in turn until one answers). With `exchange`, `request`
  // is written once connected; without, the connection goes idle into the pool (a warm spare).
  // `request` and `target` (its parsed URL, same origin) must live until the exchange ends.
  void open(const HttpRequest *request, const Url *target, Http1Exchange *exchange);
  // Writes `request` for `target` (same origin) on this idle connection for `exchange`.
  void send(const HttpRequest &request, const Url &target, Http1Exchange &exchange);
  // The exchange stops listening: an unfinished response closes the connection. Idempotent.
  void abandon();

  State state() const noexcept { return state_; }
  const std::string &origin() const noexcept { return origin_; }
  bool reused() const noexcept { return served_ > 0; }
  int local_port() const noexcept { return local_port_; }
  int minor_version() const noexcept { return parser_.minor_version(); }
  uint64_t idle_since_ms() const noexcept { return idle_since_ms_; }
  const std::vector<std::string> &addresses() const noexcept { return addrs_; }
  const Url &url() const noexcept { return url_; }
  bool has_exchange() const noexcept { return exchange_ != nullptr; }
  // Closes at once (pool shutdown, idle expiry); the exchange, if any, hears nothing.
  void close();

 private:
  // TcpTlsEvents
  void on_stream_connected() override;
  void on_stream_data(const uint8_t *data, size_t len) override;
  void on_stream_writable() override {}
  void on_stream_eof() override;
  void on_stream_failed(const std::string &why, bool tls) override;
  // Http1ResponseEvents: forwarded to the exchange; message complete returns us to the pool.
  void on_http1_status(int status, int minor_version) override;
  void on_http1_header(std::string_view name, std::string_view value) override;
  void on_http1_head_complete() override;
  bool on_http1_body(const char *data, size_t len) override;
  void on_http1_message_complete() override;

  void connect_next();
  void write_request(const HttpRequest &request, const Url &target);
  // Ends the exchange with an error (if any) and kills the connection.
  void fail(Status status);
  void die();

  Http1Pool &pool_;
  SlotLoop &loop_;
  const std::string origin_;
  const Url url_;
  const std::vector<std::string> addrs_;
  const bool insecure_skip_verify_;
  std::unique_ptr<TcpTlsStream> stream_;
  Http1ResponseParser parser_;
  Http1Exchange *exchange_ = nullptr;
  const HttpRequest *pending_ = nullptr;  // written once connected (owned by the exchange)
  const Url *pending_target_ = nullptr;
  State state_ = State::kConnecting;
  size_t next_addr_ = 0;
  std::string last_error_;
  bool last_error_tls_ = false;
  uint64_t served_ = 0;  // responses completed before the current one
  int local_port_ = 0;
  uint64_t idle_since_ms_ = 0;
  std::string out_;  // the request head being built (reused)
};

}  // namespace voxline::detail
