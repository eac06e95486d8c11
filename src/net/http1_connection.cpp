// One keep-alive HTTP/1.1 client connection (see http1_connection.hpp).
#include "net/http1_connection.hpp"

#include "net/http1_pool.hpp"
#include "net/slot_loop.hpp"
#include "voxline/core/strings.hpp"
#include "voxline/core/version.hpp"

namespace voxline::detail {

namespace {

bool has_body_method(const std::string &method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

Http1Connection::Http1Connection(Http1Pool &pool, SlotLoop &loop, std::string origin, const Url &url,
                                 std::vector<std::string> addrs, bool insecure_skip_verify)
    : pool_(pool),
      loop_(loop),
      origin_(std::move(origin)),
      url_(url),
      addrs_(std::move(addrs)),
      insecure_skip_verify_(insecure_skip_verify) {
  out_.reserve(1024);
}

Http1Connection::~Http1Connection() {
  close();
}

void Http1Connection::open(const HttpRequest *request, const Url *target, Http1Exchange *exchange) {
  pending_ = request;
  pending_target_ = target;
  exchange_ = exchange;
  state_ = State::kConnecting;
  connect_next();
}

void Http1Connection::connect_next() {
  if (next_addr_ >= addrs_.size()) {
    fail(last_error_tls_ ? unavailable("TLS failure with " + url_.host + ": " + last_error_)
                         : unavailable("cannot connect to " + url_.host + ": " + last_error_));
    return;
  }
  const std::string &address = addrs_[next_addr_++];
  stream_ = std::make_unique<TcpTlsStream>(loop_, static_cast<TcpTlsEvents &>(*this));
  TcpTlsOptions tls;
  tls.host = url_.host;
  tls.insecure_skip_verify = insecure_skip_verify_;
  const std::string err = stream_->connect(address, url_.port, url_.tls ? &tls : nullptr);
  if (!err.empty()) on_stream_failed(err, false);
}

void Http1Connection::on_stream_connected() {
  local_port_ = stream_->local_port();
  if (exchange_ == nullptr) {  // a warm spare
    state_ = State::kIdle;
    idle_since_ms_ = uv_now(loop_.uv());
    pool_.became_idle(this);
    return;
  }
  state_ = State::kBusy;
  Http1Exchange *ex = exchange_;
  write_request(*pending_, *pending_target_);
  pending_ = nullptr;
  pending_target_ = nullptr;
  ex->on_http1_connected();
}

void Http1Connection::send(const HttpRequest &request, const Url &target, Http1Exchange &exchange) {
  exchange_ = &exchange;
  state_ = State::kBusy;
  write_request(request, target);
}

void Http1Connection::write_request(const HttpRequest &request, const Url &target) {
  parser_.expect_response(request.method == "HEAD");
  out_.clear();
  out_.append(request.method).append(" ").append(target.path_and_query).append(" HTTP/1.1\r\n");
  bool has_host = false, has_type = false, has_agent = false;
  for (const auto &h : request.headers) {
    // Framing is ours: a caller's Content-Length, Transfer-Encoding or Connection could desync it.
    if (iequals(h.first, "content-length") || iequals(h.first, "transfer-encoding") ||
        iequals(h.first, "connection"))
      continue;
    has_host = has_host || iequals(h.first, "host");
    has_type = has_type || iequals(h.first, "content-type");
    has_agent = has_agent || iequals(h.first, "user-agent");
    out_.append(h.first).append(": ").append(h.second).append("\r\n");
  }
  if (!has_host) out_.append("Host: ").append(target.host_header()).append("\r\n");
  if (!has_agent) out_.append("User-Agent: voxline/").append(version_string()).append("\r\n");
  if (!has_type && !request.body.empty()) out_.append("Content-Type: application/json\r\n");
  if (!request.body.empty() || has_body_method(request.method))
    out_.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  out_.append("\r\n");
  // A refused write is reported by the stream from the loop (on_stream_failed): nothing to do here.
  if (stream_->write(reinterpret_cast<const uint8_t *>(out_.data()), out_.size()) &&
      (request.body.empty() ||
       stream_->write(reinterpret_cast<const uint8_t *>(request.body.data()), request.body.size())))
    (void)stream_->flush();
}

void Http1Connection::on_stream_data(const uint8_t *data, size_t len) {
  if (state_ != State::kBusy || exchange_ == nullptr) {
    die();  // bytes nobody asked for (a late answer to an abandoned request, or a broken server)
    return;
  }
  Status st = parser_.feed(reinterpret_cast<const char *>(data), len, *this);
  if (!st.ok()) fail(std::move(st));
}

void Http1Connection::on_stream_eof() {
  if (state_ != State::kBusy || exchange_ == nullptr) {
    die();  // the server closed an idle connection
    return;
  }
  Status st = parser_.feed_eof(*this);  // completes a close-delimited body
  if (!st.ok()) fail(std::move(st));
}

void Http1Connection::on_stream_failed(const std::string &why, bool tls) {
  if (state_ == State::kConnecting) {
    last_error_ = why + " (" + addrs_[next_addr_ - 1] + ")";
    last_error_tls_ = tls;
    stream_.reset();  // safe inside the stream's own event (tcp_tls_stream.hpp)
    connect_next();
    return;
  }
  fail(
      unavailable(std::string(tls ? "TLS failure with " : "connection to ") + url_.host + " failed: " + why));
}

void Http1Connection::on_http1_status(int status, int minor_version) {
  exchange_->on_http1_status(status, minor_version);
}

void Http1Connection::on_http1_header(std::string_view name, std::string_view value) {
  exchange_->on_http1_header(name, value);
}

void Http1Connection::on_http1_head_complete() {
  exchange_->on_http1_head_complete();
}

bool Http1Connection::on_http1_body(const char *data, size_t len) {
  return exchange_->on_http1_body(data, len);
}

void Http1Connection::on_http1_message_complete() {
  Http1Exchange *ex = exchange_;
  exchange_ = nullptr;
  ++served_;
  if (parser_.keep_alive()) {
    state_ = State::kIdle;
    idle_since_ms_ = uv_now(loop_.uv());
    pool_.became_idle(this);  // before the exchange hears: its owner may start the next request
  } else {
    die();
  }
  ex->on_http1_done(Status::Ok(), false);
}

void Http1Connection::fail(Status status) {
  Http1Exchange *ex = exchange_;
  const bool stale = served_ > 0 && !parser_.started();
  // The reader refused the body (its request was cancelled): as abandon(), keep a warm spare.
  const bool refused = status.code() == StatusCode::kCancelled && state_ == State::kBusy;
  exchange_ = nullptr;
  pending_ = nullptr;
  die();
  if (refused) pool_.replace(*this);
  if (ex != nullptr) ex->on_http1_done(std::move(status), stale);
}

void Http1Connection::abandon() {
  if (exchange_ == nullptr) return;
  exchange_ = nullptr;
  pending_ = nullptr;
  if (state_ == State::kBusy || state_ == State::kConnecting) {
    const bool replace = state_ == State::kBusy;
    die();
    if (replace) pool_.replace(*this);
  }
}

void Http1Connection::die() {
  if (state_ == State::kDead) return;
  state_ = State::kDead;
  if (stream_) stream_->close();
  pool_.died(this);
}

void Http1Connection::close() {
  exchange_ = nullptr;
  pending_ = nullptr;
  if (stream_) stream_->close();
  state_ = State::kDead;
}

}  // namespace voxline::detail
