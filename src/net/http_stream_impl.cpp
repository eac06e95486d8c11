// HttpStream on a slot's CurlHttpEngine (see http_stream_impl.hpp). Everything below cancel() runs
// on the slot's loop thread.
#include "net/http_stream_impl.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "net/curl_http_engine.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/strings.hpp"
#include "voxline/net/dns_resolver.hpp"

namespace voxline::detail {

namespace {

uint64_t to_ms(Duration d) {
  return static_cast<uint64_t>(
      std::max<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count(), 0));
}

int http_version_number(long curl_version) {
  switch (curl_version) {
    case CURL_HTTP_VERSION_1_0: return 10;
    case CURL_HTTP_VERSION_1_1: return 11;
    case CURL_HTTP_VERSION_2_0: return 20;
    case CURL_HTTP_VERSION_3: return 30;
    default: return 0;
  }
}

template <typename Fn>
void deliver(Logger &logger, Fn &&fn) {
  try {
    fn();
  } catch (const std::exception &e) {
    VOXLINE_LOG_ERROR(logger, "net", "HTTP stream handler threw: {}", e.what());
  } catch (...) {
    VOXLINE_LOG_ERROR(logger, "net", "HTTP stream handler threw a non-std exception");
  }
}

}  // namespace

struct HttpStreamImpl::DeadlineTimer {
  uv_timer_t timer;
  HttpStreamImpl *stream;  // cleared when the stream finishes; the handle then closes itself
};

HttpStreamImpl::HttpStreamImpl(std::shared_ptr<HttpInbox> inbox, HttpRequest request, Url url,
                               std::shared_ptr<HttpStreamHandler> handler)
    : handler_(std::move(handler)),
      inbox_(std::move(inbox)),
      id_(next_stream_id()),
      request_(std::move(request)),
      url_(std::move(url)) {}

std::shared_ptr<HttpStreamImpl> HttpStreamImpl::create(std::shared_ptr<HttpInbox> inbox, HttpRequest request,
                                                       Url url, std::shared_ptr<HttpStreamHandler> handler) {
  auto s = std::make_shared<HttpStreamImpl>(std::move(inbox), std::move(request), std::move(url),
                                            std::move(handler));
  s->weak_self_ = s;
  return s;
}

HttpStreamImpl::~HttpStreamImpl() = default;

void HttpStreamImpl::cancel() {
  if (done() || cancel_requested_.exchange(true)) return;
  if (auto self = weak_self_.lock()) inbox_->cancel(std::move(self));  // a stopped engine already ended it
}

void HttpStreamImpl::attach(CurlHttpEngine &engine) {
  engine_ = &engine;
  loop_ = engine.loop();
  bytes_received_ = engine.ctx().m.http_bytes_received;
  started_ms_ = last_byte_ms_ = uv_now(loop_);
}

void HttpStreamImpl::begin(CurlHttpEngine &engine) {
  attach(engine);
  phase_ = Phase::kDns;
  http1_ = engine.http1() != nullptr;
  if (cancel_requested_.load()) {
    finish(cancelled("HTTP stream cancelled"), "cancel");
    return;
  }
  timer_ = new DeadlineTimer{};
  timer_->stream = this;
  uv_timer_init(loop_, &timer_->timer);
  timer_->timer.data = timer_;
  arm_deadline();

  const std::thread::id loop_thread = std::this_thread::get_id();
  std::weak_ptr<HttpStreamImpl> weak = weak_self_;
  std::shared_ptr<HttpInbox> inbox = inbox_;
  const SteadyTime dns_deadline = Clock::system().now() + request_.timeouts.connect;
  Status st = engine.ctx().resolver->resolve_async(
      url_.host, Deadline::at(dns_deadline), [weak, inbox, loop_thread](Result<std::vector<std::string>> r) {
        auto p = weak.lock();
        if (!p) return;
        if (std::this_thread::get_id() == loop_thread)
          p->on_resolved(r);  // a cached answer or an IP literal, inside begin()
        else
          inbox->resolved(std::move(p), std::move(r));
      });
  if (!st.ok()) finish(st, "dns");
}

void HttpStreamImpl::on_resolved(const Result<std::vector<std::string>> &addrs) {
  if (terminal_ || phase_ != Phase::kDns) return;  // the dns deadline or a cancel came first
  if (!addrs.ok() || addrs->empty()) {
    finish(addrs.ok() ? unavailable("no address for " + url_.host) : addrs.status(), "dns");
    return;
  }
  if (http1_) {
    addrs_ = *addrs;
    engine_->ctx().m.http_bytes_sent->inc(request_.body.size());
    start_http1(false);
    return;
  }
  Status st = configure(*addrs);
  if (!st.ok()) {
    finish(st, "connect");
    return;
  }
  phase_ = Phase::kRequest;
  arm_deadline();
  engine_->ctx().m.http_bytes_sent->inc(request_.body.size());
  if (engine_->curl().add(easy_) != CURLM_OK)
    finish(internal_error("curl_multi_add_handle failed"), "connect");
}

Status HttpStreamImpl::configure(const std::vector<std::string> &addrs) {
  CURL *e = curl_easy_init();
  if (e == nullptr) return internal_error("curl_easy_init failed");
  easy_ = e;
  const HttpRequest &r = request_;
  const RuntimeOptions &opt = engine_->ctx().options;
  curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, this);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf_);
  if (url_.tls) {
    // HTTP/2 when the server offers it over ALPN; PIPEWAIT lets a request wait for a connection
    // being set up to the same origin instead of opening its own, so streams share it.
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
  } else {
    // Plain http is HTTP/1.1 (no ALPN): waiting for another connection could only delay it.
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  }
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &HttpStreamImpl::on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &HttpStreamImpl::on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
  const uint64_t now = uv_now(loop_);
  const uint64_t connect_due = started_ms_ + to_ms(r.timeouts.connect);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(connect_due > now ? connect_due - now : 1));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 0L);  // streams run long; the stream's timer covers the rest
  if (r.method == "POST") {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());  // request_ lives as long as the easy
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  } else if (r.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (r.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    if (!r.body.empty()) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
  }
  bool has_content_type = false;
  std::string line;
  for (const auto &h : r.headers) {
    if (iequals(h.first, "content-type")) has_content_type = true;
    line.assign(h.first).append(": ").append(h.second);
    header_list_ = curl_slist_append(header_list_, line.c_str());
  }
  if (!has_content_type && !r.body.empty())
    header_list_ = curl_slist_append(header_list_, "Content-Type: application/json");
  header_list_ = curl_slist_append(header_list_, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, header_list_);
  if (!is_ip_literal(url_.host)) {
    // Connect to the addresses resolved off the loop, tried in order; the URL's host name stays
    // for Host, SNI, certificate verification and the connection pool key.
    std::string entry = url_.host + ":" + std::to_string(url_.port) + ":";
    for (size_t i = 0; i < addrs.size(); ++i) {
      if (i > 0) entry += ',';
      entry += addrs[i].find(':') != std::string::npos ? "[" + addrs[i] + "]" : addrs[i];
    }
    resolve_list_ = curl_slist_append(nullptr, entry.c_str());
    curl_easy_setopt(e, CURLOPT_RESOLVE, resolve_list_);
  }
  if (url_.tls) {
    if (!opt.tls.ca_file.empty()) {
      curl_easy_setopt(e, CURLOPT_CAINFO, opt.tls.ca_file.c_str());
      // CAINFO replaces curl's built-in bundle; its built-in CA directory keeps the system store.
      if (!engine_->system_ca_path().empty())
        curl_easy_setopt(e, CURLOPT_CAPATH, engine_->system_ca_path().c_str());
    }
    if (opt.tls.insecure_skip_verify) {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }
  return Status::Ok();
}

void HttpStreamImpl::deliver_head() {
  if (head_delivered_) return;
  head_delivered_ = true;
  phase_ = Phase::kBody;
  last_byte_ms_ = uv_now(loop_);
  arm_deadline();
  if (handler_) deliver(*engine_->ctx().logger, [&] { handler_->on_response(*this, head_); });
}

void HttpStreamImpl::begin_head(int status) {
  head_.headers.clear();  // a new status line (after a 1xx) starts over
  head_complete_ = false;
  head_.status = status;
}

void HttpStreamImpl::add_header(std::string_view name, std::string_view value) {
  if (head_complete_ || head_.headers.size() >= 256) return;  // trailers, or too many
  head_.headers.emplace_back(std::string(name), std::string(value));
}

void HttpStreamImpl::end_head() {
  if (head_.status < 200) return;
  head_complete_ = true;
  deliver_head();
}

size_t HttpStreamImpl::on_header(char *buf, size_t size, size_t n, void *ud) {
  auto *s = static_cast<HttpStreamImpl *>(ud);
  const size_t len = size * n;
  if (s->terminal_ || s->cancel_requested_.load(std::memory_order_relaxed)) return 0;  // curl aborts
  std::string_view line(buf, len);
  if (line.substr(0, 5) == "HTTP/") {  // a status line
    int status = 0;
    const size_t sp = line.find(' ');
    if (sp != std::string_view::npos && sp + 4 <= line.size())
      std::from_chars(line.data() + sp + 1, line.data() + sp + 4, status);
    s->begin_head(status);
    return len;
  }
  if (s->head_complete_) return len;  // trailers
  std::string_view t = trim(line);
  if (t.empty()) {
    s->end_head();
    if (s->cancel_requested_.load(std::memory_order_relaxed)) return 0;
    return len;
  }
  const size_t colon = t.find(':');
  if (colon != std::string_view::npos) s->add_header(trim(t.substr(0, colon)), trim(t.substr(colon + 1)));
  return len;
}

size_t HttpStreamImpl::on_body(char *ptr, size_t size, size_t n, void *ud) {
  auto *s = static_cast<HttpStreamImpl *>(ud);
  const size_t len = size * n;
  return s->take_body(ptr, len) ? len : 0;  // 0: curl aborts
}

// The hot path: one call per received chunk. No allocation, no copy, no lock, no clock syscall
// (the loop's cached time), no metric lookup.
bool HttpStreamImpl::take_body(const char *ptr, size_t len) {
  if (terminal_ || cancel_requested_.load(std::memory_order_relaxed)) return false;
  if (!head_delivered_) deliver_head();
  last_byte_ms_ = uv_now(loop_);
  body_bytes_ += len;
  bytes_received_->inc(len);
  if (head_.status >= 200 && head_.status < 300) {
    first_byte_delivered_ = true;
    if (handler_)
      deliver(*engine_->ctx().logger, [&] { handler_->on_data(*this, std::string_view(ptr, len)); });
    if (cancel_requested_.load(std::memory_order_relaxed)) return false;
  } else if (error_body_.size() < request_.max_error_body_bytes) {
    error_body_.append(ptr, std::min(len, request_.max_error_body_bytes - error_body_.size()));
  }
  return true;
}

void HttpStreamImpl::arm_deadline() {
  if (timer_ == nullptr) return;
  const auto &to = request_.timeouts;
  uint64_t due = std::numeric_limits<uint64_t>::max();
  switch (phase_) {
    case Phase::kDns:
    case Phase::kConnect: due = started_ms_ + to_ms(to.connect); break;
    case Phase::kRequest: due = started_ms_ + to_ms(to.first_byte); break;
    case Phase::kBody:
      if (to.idle > Duration::zero()) due = last_byte_ms_ + to_ms(to.idle);
      break;
    default: break;
  }
  if (to.total > Duration::zero()) due = std::min(due, started_ms_ + to_ms(to.total));
  if (due == std::numeric_limits<uint64_t>::max()) {
    uv_timer_stop(&timer_->timer);
    return;
  }
  const uint64_t now = uv_now(loop_);
  uv_timer_start(&timer_->timer, &HttpStreamImpl::on_deadline, due > now ? due - now : 0, 0);
}

void HttpStreamImpl::on_deadline(uv_timer_t *t) {
  auto *dt = static_cast<DeadlineTimer *>(t->data);
  if (dt->stream != nullptr) dt->stream->check_deadline();
}

void HttpStreamImpl::check_deadline() {
  const uint64_t now = uv_now(loop_);
  const auto &to = request_.timeouts;
  const char *phase = nullptr;
  Duration limit{};
  if ((phase_ == Phase::kDns || phase_ == Phase::kConnect) && now >= started_ms_ + to_ms(to.connect)) {
    phase = phase_ == Phase::kDns ? "dns" : "connect";
    limit = to.connect;
  } else if (phase_ == Phase::kRequest && now >= started_ms_ + to_ms(to.first_byte)) {
    phase = "first_byte";
    limit = to.first_byte;
  } else if (phase_ == Phase::kBody && to.idle > Duration::zero() && now >= last_byte_ms_ + to_ms(to.idle)) {
    phase = "idle";
    limit = to.idle;
  } else if (to.total > Duration::zero() && now >= started_ms_ + to_ms(to.total)) {
    phase = "total";
    limit = to.total;
  }
  if (phase == nullptr) {
    arm_deadline();  // data arrived since the timer was armed: move to the new idle deadline
    return;
  }
  finish(timeout_error("HTTP " + std::string(phase) + " deadline for " + url_.host + " expired after " +
                       std::to_string(to_ms(limit)) + " ms"),
         phase);
}

void HttpStreamImpl::on_cancel_requested() {
  finish(cancelled("HTTP stream cancelled"), "cancel");
}

Status HttpStreamImpl::transfer_status(CURLcode rc, const char **phase) {
  const std::string detail = errbuf_[0] != '\0' ? errbuf_ : curl_easy_strerror(rc);
  if (cancel_requested_.load()) {
    *phase = "cancel";
    return cancelled("HTTP stream cancelled");
  }
  if (rc == CURLE_OK) {
    if (head_.status == 0) {
      long code = 0;
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &code);
      head_.status = static_cast<int>(code);
    }
    if (head_.status >= 200 && head_.status < 300) {
      *phase = "done";
      return Status::Ok();
    }
    *phase = "response";
    redact_error_body();
    return status_from_http(head_.status, error_body_);  // whole body: redacted, then cut
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    *phase = "connect";
    return timeout_error("connecting to " + url_.host + " timed out: " + detail);
  }
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
    *phase = "connect";
    return unavailable("cannot connect to " + url_.host + ": " + detail);
  }
  if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
      rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM) {
    *phase = "connect";
    return unavailable("TLS failure with " + url_.host + ": " + detail);
  }
  *phase = head_complete_ ? "body" : "first_byte";
  return unavailable("HTTP stream from " + url_.host + " failed (" + *phase + "): " + detail +
                     (head_complete_ ? " (connection dropped mid-stream)" : ""));
}

// The error body may echo credentials back (a key in a 401 message): they are masked before the
// body reaches the owner, a Status message or a log line.
void HttpStreamImpl::redact_error_body() {
  if (error_body_redacted_) return;
  error_body_redacted_ = true;
  if (!error_body_.empty()) error_body_ = engine_->ctx().logger->redactor().redact(error_body_);
}

void HttpStreamImpl::on_transfer_done(CURLcode rc) {
  if (terminal_) return;
  const char *phase = "done";
  Status st = transfer_status(rc, &phase);
  finish(std::move(st), phase);
}

void HttpStreamImpl::finish(Status status, const char *phase) {
  if (terminal_) return;
  terminal_ = true;
  phase_ = Phase::kDone;
  std::shared_ptr<HttpStreamImpl> self = weak_self_.lock();  // alive through on_complete
  HttpCompletion c;
  if (http1_) {
    release_http1();
    c.local_port = http1_port_;
    c.http_version = head_.status > 0 ? 10 + http1_minor_ : 0;
    c.connections_opened = http1_connections_;
  }
  if (easy_ != nullptr) {
    long version = 0, connects = 0, port = 0;
    curl_easy_getinfo(easy_, CURLINFO_HTTP_VERSION, &version);
    curl_easy_getinfo(easy_, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(easy_, CURLINFO_LOCAL_PORT, &port);
    c.local_port = static_cast<int>(port);
    c.http_version = head_.status > 0 ? http_version_number(version) : 0;
    c.connections_opened = static_cast<int>(connects);
    engine_->m().connections_opened->inc(static_cast<uint64_t>(connects));
    engine_->curl().remove(easy_);
    curl_easy_cleanup(easy_);
    easy_ = nullptr;
  }
  curl_slist_free_all(header_list_);
  curl_slist_free_all(resolve_list_);
  header_list_ = resolve_list_ = nullptr;
  if (timer_ != nullptr) {
    timer_->stream = nullptr;
    uv_close(reinterpret_cast<uv_handle_t *>(&timer_->timer),
             [](uv_handle_t *h) { delete static_cast<DeadlineTimer *>(h->data); });
    timer_ = nullptr;
  }
  engine_->forget(id_);
  redact_error_body();
  if (!status.ok())
    if (Counter *e = engine_->m().error(status.code())) e->inc();
  if (status.code() == StatusCode::kTimeout)
    if (Counter *t = engine_->m().timeout(phase)) t->inc();
  c.status = std::move(status);
  c.phase = phase;
  c.http_status = head_.status;
  c.headers = std::move(head_.headers);
  c.error_body = std::move(error_body_);
  c.first_byte_delivered = first_byte_delivered_;
  c.body_bytes = body_bytes_;
  std::shared_ptr<HttpStreamHandler> h = std::move(handler_);
  if (h) deliver(*engine_->ctx().logger, [&] { h->on_complete(*this, c); });
  done_.store(true, std::memory_order_release);
}

}  // namespace voxline::detail
