// The HTTP half of an I/O slot: one curl multi handle driven by one thread. Only this thread
// touches the multi and its easy handles; others push HttpCommands and call curl_multi_wakeup.
#include "http_loop.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "voxline/core/strings.hpp"
#include "voxline/net/dns_resolver.hpp"
#include "voxline/net/url.hpp"

namespace voxline::detail {

namespace {
constexpr int kPollSliceMs = 10;  // deadline checks run at least this often while streams live

SteadyTime now() {
  return Clock::system().now();
}

template <typename Fn>
void deliver(NetContext &ctx, Fn &&fn) {
  try {
    fn();
  } catch (const std::exception &e) {
    VOXLINE_LOG_ERROR(*ctx.logger, "net", "HTTP stream handler threw: {}", e.what());
  } catch (...) {
    VOXLINE_LOG_ERROR(*ctx.logger, "net", "HTTP stream handler threw a non-std exception");
  }
}
}  // namespace

struct HttpLoopLink {
  std::mutex mu;
  HttpLoop *loop = nullptr;
};

enum class HttpPhase { kDns, kRequest, kBody, kDone };

class HttpStreamImpl final : public HttpStream {
 public:
  HttpStreamImpl(std::shared_ptr<HttpLoopLink> link, HttpRequest req, Url url,
                 std::shared_ptr<HttpStreamHandler> h)
      : link_(std::move(link)),
        id_(next_stream_id()),
        request_(std::move(req)),
        url_(std::move(url)),
        handler_(std::move(h)) {}

  void cancel() override {
    if (done_.load() || cancel_requested_.exchange(true)) return;
    HttpCommand cmd;
    cmd.kind = HttpCommand::kCancel;
    cmd.stream = std::static_pointer_cast<HttpStreamImpl>(weak_self_.lock());
    if (cmd.stream) (void)HttpLoop::post_to(link_, std::move(cmd));  // a stopped loop already cancelled it
  }
  bool done() const override { return done_.load(); }
  uint64_t id() const override { return id_; }

  std::weak_ptr<HttpStream> weak_self_;
  std::shared_ptr<HttpLoopLink> link_;
  const uint64_t id_;
  const HttpRequest request_;
  const Url url_;
  std::atomic<bool> done_{false};
  std::atomic<bool> cancel_requested_{false};

  // Loop thread only.
  HttpLoop *loop_ = nullptr;
  std::shared_ptr<HttpStreamHandler> handler_;
  CURL *easy_ = nullptr;
  curl_slist *header_list_ = nullptr;
  curl_slist *resolve_list_ = nullptr;
  char errbuf_[CURL_ERROR_SIZE] = {0};
  HttpPhase phase_ = HttpPhase::kDns;
  SteadyTime started_{}, last_byte_{};
  HttpResponseHead head_;
  bool head_complete_ = false;
  bool head_delivered_ = false;
  bool first_byte_delivered_ = false;
  uint64_t body_bytes_ = 0;
  std::string error_body_;
  bool terminal_ = false;

  bool success_status() const { return head_.status >= 200 && head_.status < 300; }

  void deliver_head() {
    if (head_delivered_) return;
    head_delivered_ = true;
    phase_ = HttpPhase::kBody;
    last_byte_ = now();
    if (handler_) deliver(loop_->ctx(), [&] { handler_->on_response(*this, head_); });
  }

  static size_t on_header(char *buf, size_t size, size_t n, void *ud) {
    auto *s = static_cast<HttpStreamImpl *>(ud);
    const size_t len = size * n;
    std::string_view line(buf, len);
    if (line.substr(0, 5) == "HTTP/") {
      // A new status line (after 1xx): start over.
      s->head_.headers.clear();
      s->head_complete_ = false;
      const size_t sp = line.find(' ');
      s->head_.status =
          sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
      return len;
    }
    std::string_view t = trim(line);
    if (t.empty()) {
      if (s->head_.status >= 200) {
        s->head_complete_ = true;
        s->deliver_head();
      }
      return len;
    }
    const size_t colon = t.find(':');
    if (colon != std::string_view::npos && s->head_.headers.size() < 256)
      s->head_.headers.emplace_back(std::string(trim(t.substr(0, colon))),
                                    std::string(trim(t.substr(colon + 1))));
    return len;
  }

  static size_t on_body(char *ptr, size_t size, size_t n, void *ud) {
    auto *s = static_cast<HttpStreamImpl *>(ud);
    const size_t len = size * n;
    if (s->terminal_ || s->cancel_requested_.load()) return 0;  // makes curl abort the transfer
    s->deliver_head();
    s->last_byte_ = now();
    s->body_bytes_ += len;
    s->loop_->ctx().m.http_bytes_received->inc(len);
    if (s->success_status()) {
      s->first_byte_delivered_ = true;
      if (s->handler_)
        deliver(s->loop_->ctx(), [&] { s->handler_->on_data(*s, std::string_view(ptr, len)); });
      if (s->cancel_requested_.load()) return 0;
    } else if (s->error_body_.size() < s->request_.max_error_body_bytes) {
      s->error_body_.append(ptr, std::min(len, s->request_.max_error_body_bytes - s->error_body_.size()));
    }
    return len;
  }
};

HttpLoop::HttpLoop(NetContext &ctx, int index)
    : ctx_(ctx), index_(index), commands_(ctx.options.task_queue_capacity, OverflowPolicy::kReject) {}

HttpLoop::~HttpLoop() {
  stop();
}

Status HttpLoop::start() {
  CURLM *m = curl_multi_init();
  if (m == nullptr) return internal_error("curl_multi_init failed");
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 256L);
  multi_ = m;
  link_ = std::make_shared<HttpLoopLink>();
  link_->loop = this;
  thread_ = std::thread([this] { run(); });
  VOXLINE_LOG_DEBUG(*ctx_.logger, "net", "HTTP loop {} started", index_);
  return Status::Ok();
}

void HttpLoop::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->loop = nullptr;
  }
  stopping_.store(true);
  curl_multi_wakeup(static_cast<CURLM *>(multi_));
  thread_.join();
  curl_multi_cleanup(static_cast<CURLM *>(multi_));
  multi_ = nullptr;
}

Status HttpLoop::post_to(const std::shared_ptr<HttpLoopLink> &link, HttpCommand cmd) {
  std::lock_guard<std::mutex> lock(link->mu);
  if (link->loop == nullptr) return failed_precondition("the runtime serving this HTTP stream has stopped");
  return link->loop->post(std::move(cmd));
}

Status HttpLoop::post(HttpCommand cmd) {
  Status s = commands_.push(std::move(cmd));
  if (!s.ok()) {
    ctx_.m.command_rejected->inc();
    return s;
  }
  ctx_.m.command_high_water->update_max(static_cast<int64_t>(commands_.size()));
  curl_multi_wakeup(static_cast<CURLM *>(multi_));
  return Status::Ok();
}

Result<std::shared_ptr<HttpStream>> HttpLoop::start_stream(HttpRequest request,
                                                           std::shared_ptr<HttpStreamHandler> handler) {
  if (!handler) return invalid_argument("HTTP stream handler must not be null");
  VOXLINE_ASSIGN_OR_RETURN(Url url, parse_url(request.url));
  if (url.is_websocket) return invalid_argument("HTTP URL must use http:// or https://");
  if (request.method.empty() ||
      !std::all_of(request.method.begin(), request.method.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return invalid_argument("invalid HTTP method '" + request.method + "'");
  for (const auto &h : request.headers)
    if (h.first.empty() || h.first.find_first_of(":\r\n ") != std::string::npos ||
        h.second.find_first_of("\r\n") != std::string::npos)
      return invalid_argument("invalid HTTP header name or value");
  if (request.timeouts.connect <= Duration::zero() || request.timeouts.first_byte <= Duration::zero())
    return invalid_argument("connect and first_byte timeouts must be positive");
  auto s = std::make_shared<HttpStreamImpl>(link_, std::move(request), std::move(url), std::move(handler));
  s->weak_self_ = s;
  HttpCommand cmd;
  cmd.kind = HttpCommand::kStart;
  cmd.stream = s;
  VOXLINE_RETURN_IF_ERROR(post_to(link_, std::move(cmd)));
  return std::shared_ptr<HttpStream>(s);
}

void HttpLoop::run() {
  auto *multi = static_cast<CURLM *>(multi_);
  while (!stopping_.load()) {
    drain_commands();
    int running = 0;
    curl_multi_perform(multi, &running);
    read_completions();
    check_deadlines();
    long curl_ms = -1;
    curl_multi_timeout(multi, &curl_ms);
    int wait_ms = streams_.empty() ? 1000 : kPollSliceMs;
    if (curl_ms >= 0) wait_ms = std::min<int>(wait_ms, static_cast<int>(curl_ms));
    curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
  }
  drain_commands();
  std::vector<std::shared_ptr<HttpStreamImpl>> live;
  for (auto &kv : streams_) live.push_back(kv.second);
  for (auto &s : live) complete(s, cancelled("runtime shutting down"), "shutdown");
}

void HttpLoop::drain_commands() {
  std::vector<HttpCommand> cmds;
  commands_.drain(cmds);
  for (auto &c : cmds) handle(c);
}

void HttpLoop::handle(HttpCommand &cmd) {
  auto &s = cmd.stream;
  if (stopping_.load()) {
    if (cmd.kind == HttpCommand::kStart) {
      s->loop_ = this;
      ctx_.active_http.fetch_add(1);
      ctx_.m.http_open->add(1);
      streams_[s->id_] = s;  // completed with CANCELLED by run()
    }
    return;
  }
  switch (cmd.kind) {
    case HttpCommand::kStart: begin(s); break;
    case HttpCommand::kResolved: launch(s, cmd.addrs); break;
    case HttpCommand::kCancel: complete(s, cancelled("HTTP stream cancelled"), "cancel"); break;
  }
}

void HttpLoop::begin(const std::shared_ptr<HttpStreamImpl> &s) {
  s->loop_ = this;
  s->started_ = now();
  ctx_.active_http.fetch_add(1);
  ctx_.m.http_open->add(1);
  streams_[s->id_] = s;
  if (s->cancel_requested_.load()) {
    complete(s, cancelled("HTTP stream cancelled"), "cancel");
    return;
  }
  auto link = link_;
  std::weak_ptr<HttpStreamImpl> weak = s;
  Status st =
      ctx_.resolver->resolve_async(s->url_.host, Deadline::at(s->started_ + s->request_.timeouts.connect),
                                   [link, weak](Result<std::vector<std::string>> r) {
                                     auto p = weak.lock();
                                     if (!p) return;
                                     HttpCommand cmd;
                                     cmd.kind = HttpCommand::kResolved;
                                     cmd.stream = p;
                                     cmd.addrs = std::move(r);
                                     (void)post_to(link, std::move(cmd));
                                   });
  if (!st.ok()) complete(s, st, "dns");
}

void HttpLoop::launch(const std::shared_ptr<HttpStreamImpl> &s,
                      const Result<std::vector<std::string>> &addrs) {
  if (s->terminal_ || s->phase_ != HttpPhase::kDns) return;
  if (!addrs.ok() || addrs->empty()) {
    complete(s, addrs.ok() ? unavailable("no address for " + s->url_.host) : addrs.status(), "dns");
    return;
  }
  CURL *e = curl_easy_init();
  if (e == nullptr) {
    complete(s, internal_error("curl_easy_init failed"), "connect");
    return;
  }
  s->easy_ = e;
  s->phase_ = HttpPhase::kRequest;
  const HttpRequest &r = s->request_;
  curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf_);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &HttpStreamImpl::on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, s.get());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &HttpStreamImpl::on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, s.get());
  curl_easy_setopt(e, CURLOPT_PRIVATE, s.get());
  const auto remaining =
      std::chrono::duration_cast<std::chrono::milliseconds>(s->started_ + r.timeouts.connect - now());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::max<int64_t>(remaining.count(), 1)));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 0L);  // streams run long; our own deadlines cover them
  if (r.method == "POST") {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());  // r lives as long as the easy handle
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  } else if (r.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    if (!r.body.empty()) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
  }
  bool has_content_type = false;
  for (const auto &h : r.headers) {
    if (find_header({h}, "content-type")) has_content_type = true;
    s->header_list_ = curl_slist_append(s->header_list_, (h.first + ": " + h.second).c_str());
  }
  if (!has_content_type && !r.body.empty())
    s->header_list_ = curl_slist_append(s->header_list_, "Content-Type: application/json");
  s->header_list_ = curl_slist_append(s->header_list_, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->header_list_);
  if (!is_ip_literal(s->url_.host)) {
    // Connect to the address we resolved off-thread; the URL's host name stays for Host, SNI and
    // certificate verification.
    const std::string &a = addrs->front();
    const std::string addr = a.find(':') != std::string::npos ? "[" + a + "]" : a;
    const std::string entry = s->url_.host + ":" + std::to_string(s->url_.port) + ":" + addr;
    s->resolve_list_ = curl_slist_append(nullptr, entry.c_str());
    curl_easy_setopt(e, CURLOPT_RESOLVE, s->resolve_list_);
  }
  if (s->url_.tls) {
    if (!ctx_.options.tls.ca_file.empty()) {
      curl_easy_setopt(e, CURLOPT_CAINFO, ctx_.options.tls.ca_file.c_str());
      curl_easy_setopt(e, CURLOPT_CAPATH, "/etc/ssl/certs");  // keep the system store too
    }
    if (ctx_.options.tls.insecure_skip_verify) {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }
  ctx_.m.http_bytes_sent->inc(r.body.size());
  if (curl_multi_add_handle(static_cast<CURLM *>(multi_), e) != CURLM_OK)
    complete(s, internal_error("curl_multi_add_handle failed"), "connect");
}

void HttpLoop::read_completions() {
  auto *multi = static_cast<CURLM *>(multi_);
  int left = 0;
  while (CURLMsg *msg = curl_multi_info_read(multi, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    HttpStreamImpl *raw = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
    const CURLcode rc = msg->data.result;
    if (raw == nullptr) continue;
    auto it = streams_.find(raw->id_);
    if (it == streams_.end()) continue;
    std::shared_ptr<HttpStreamImpl> s = it->second;
    const std::string detail = s->errbuf_[0] != '\0' ? s->errbuf_ : curl_easy_strerror(rc);
    if (s->cancel_requested_.load()) {
      complete(s, cancelled("HTTP stream cancelled"), "cancel");
    } else if (rc == CURLE_OK) {
      if (s->success_status()) {
        complete(s, Status::Ok(), "done");
      } else {
        long code = 0;
        curl_easy_getinfo(s->easy_, CURLINFO_RESPONSE_CODE, &code);
        if (s->head_.status == 0) s->head_.status = static_cast<int>(code);
        complete(s, status_from_http(s->head_.status, s->error_body_),
                 "response");  // whole body: redacted, then cut
      }
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      complete(s, timeout_error("connecting to " + s->url_.host + " timed out: " + detail), "connect");
    } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
      complete(s, unavailable("cannot connect to " + s->url_.host + ": " + detail), "connect");
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
               rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM) {
      complete(s, unavailable("TLS failure with " + s->url_.host + ": " + detail), "connect");
    } else {
      const char *phase = s->head_complete_ ? "body" : "first_byte";
      complete(s,
               unavailable("HTTP stream from " + s->url_.host + " failed (" + phase + "): " + detail +
                           (s->head_complete_ ? " (connection dropped mid-stream)" : "")),
               phase);
    }
  }
}

void HttpLoop::check_deadlines() {
  if (streams_.empty()) return;
  const SteadyTime t = now();
  std::vector<std::shared_ptr<HttpStreamImpl>> expired;
  std::vector<std::string> phases;
  for (auto &kv : streams_) {
    auto &s = kv.second;
    const auto &to = s->request_.timeouts;
    const char *phase = nullptr;
    if (s->phase_ == HttpPhase::kDns && t - s->started_ >= to.connect) {
      phase = "dns";
    } else if (!s->head_complete_ && s->phase_ != HttpPhase::kDns && t - s->started_ >= to.first_byte) {
      phase = "first_byte";
    } else if (s->head_complete_ && to.idle > Duration::zero() && t - s->last_byte_ >= to.idle) {
      phase = "idle";
    } else if (to.total > Duration::zero() && t - s->started_ >= to.total) {
      phase = "total";
    }
    if (phase != nullptr) {
      expired.push_back(s);
      phases.emplace_back(phase);
    }
  }
  for (size_t i = 0; i < expired.size(); ++i) {
    const auto &s = expired[i];
    const auto &to = s->request_.timeouts;
    const Duration limit = phases[i] == "dns"          ? to.connect
                           : phases[i] == "first_byte" ? to.first_byte
                           : phases[i] == "idle"       ? to.idle
                                                       : to.total;
    complete(
        s,
        timeout_error("HTTP " + phases[i] + " deadline for " + s->url_.host + " expired after " +
                      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()) +
                      " ms"),
        phases[i]);
  }
}

void HttpLoop::complete(const std::shared_ptr<HttpStreamImpl> &s, Status status, const std::string &phase) {
  if (s->terminal_) return;
  s->terminal_ = true;
  s->phase_ = HttpPhase::kDone;
  if (s->easy_ != nullptr) {
    curl_multi_remove_handle(static_cast<CURLM *>(multi_), s->easy_);
    curl_easy_cleanup(s->easy_);
    s->easy_ = nullptr;
  }
  curl_slist_free_all(s->header_list_);
  curl_slist_free_all(s->resolve_list_);
  s->header_list_ = s->resolve_list_ = nullptr;
  streams_.erase(s->id_);
  ctx_.active_http.fetch_sub(1);
  ctx_.m.http_open->add(-1);
  if (!status.ok()) ctx_.count_error("http", status);
  if (status.code() == StatusCode::kTimeout) ctx_.timeouts(phase).inc();
  HttpCompletion c;
  c.status = std::move(status);
  c.phase = phase;
  c.http_status = s->head_.status;
  c.headers = s->head_.headers;
  c.error_body = std::move(s->error_body_);
  c.first_byte_delivered = s->first_byte_delivered_;
  c.body_bytes = s->body_bytes_;
  std::shared_ptr<HttpStreamHandler> h = std::move(s->handler_);
  if (h) deliver(ctx_, [&] { h->on_complete(*s, c); });
  s->done_.store(true);
}

}  // namespace voxline::detail
