// The HTTP half of a slot (see http_engine.hpp): the inbox other threads post into, the
// registry of live streams, preconnect, and the shutdown that ends them all.
#include "net/curl_http_engine.hpp"

#include <algorithm>
#include <cstdlib>

#include "net/http_stream_impl.hpp"
#include "voxline/core/log.hpp"
#include "voxline/net/url.hpp"

namespace voxline::detail {

namespace {

constexpr const char *kTimeoutPhases[] = {"dns", "connect", "first_byte", "idle", "total"};
constexpr StatusCode kCodes[] = {StatusCode::kOk,
                                 StatusCode::kInvalidArgument,
                                 StatusCode::kTimeout,
                                 StatusCode::kUnavailable,
                                 StatusCode::kQueueFull,
                                 StatusCode::kBufferTooSmall,
                                 StatusCode::kCancelled,
                                 StatusCode::kUnauthenticated,
                                 StatusCode::kRateLimited,
                                 StatusCode::kNotFound,
                                 StatusCode::kConflict,
                                 StatusCode::kFailedPrecondition,
                                 StatusCode::kProtocolError,
                                 StatusCode::kUnsupported,
                                 StatusCode::kInternal};
static_assert(sizeof(kCodes) / sizeof(kCodes[0]) == 15, "HttpInstruments::errors has one slot per code");

size_t status_index(StatusCode code) {
  return code == StatusCode::kInternal ? 14 : static_cast<size_t>(-static_cast<int>(code));
}

Status validate(const HttpRequest &request, const Url &url) {
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
  return Status::Ok();
}

// Owner of a preconnect: the response is thrown away; only the connection left in the pool counts.
class PreconnectHandler final : public HttpStreamHandler {
 public:
  PreconnectHandler(Logger &logger, const HttpInstruments &m, std::string origin)
      : logger_(logger), ok_(*m.preconnect_ok), failed_(*m.preconnect_failed), origin_(std::move(origin)) {}
  void on_data(HttpStream &, std::string_view) override {}
  void on_complete(HttpStream &, const HttpCompletion &c) override {
    if (c.http_status > 0) {  // any answer means the connection is up and pooled
      ok_.inc();
      VOXLINE_LOG_DEBUG(logger_, "net", "preconnected to {} (HTTP/{}, {} new connection(s))", origin_,
                        c.http_version / 10.0, c.connections_opened);
    } else {
      failed_.inc();
      VOXLINE_LOG_WARN(logger_, "net", "preconnect to {} failed: {}", origin_, c.status.to_string());
    }
  }

 private:
  Logger &logger_;
  Counter &ok_;
  Counter &failed_;
  std::string origin_;
};

struct InboxAsync {
  uv_async_t async;
  CurlHttpEngine *engine;
};

}  // namespace

void HttpInstruments::bind(const NetContext &ctx) {
  MetricsRegistry &metrics = *ctx.metrics;
  connections_opened = &metrics.counter("voxline_net_http_connections_opened_total",
                                        "TCP connections opened for HTTP requests (a reused one counts 0)");
  preconnect_ok =
      &metrics.counter("voxline_net_http_preconnects_total", "Preconnects by outcome", {{"result", "ok"}});
  preconnect_failed = &metrics.counter("voxline_net_http_preconnects_total", "Preconnects by outcome",
                                       {{"result", "failed"}});
  for (size_t i = 0; i < timeouts.size(); ++i)
    timeouts[i] = &metrics.counter("voxline_net_timeouts_total", "Deadlines that expired, by phase",
                                   {{"phase", kTimeoutPhases[i]}});
  for (size_t i = 0; i < errors.size(); ++i)
    errors[i] = &metrics.counter("voxline_net_errors_total",
                                 "Streams that ended with an error, by transport and status",
                                 {{"transport", "http"}, {"status", status_code_name(kCodes[i])}});
}

Counter *HttpInstruments::timeout(std::string_view phase) const noexcept {
  for (size_t i = 0; i < timeouts.size(); ++i)
    if (phase == kTimeoutPhases[i]) return timeouts[i];
  return nullptr;
}

Counter *HttpInstruments::error(StatusCode code) const noexcept {
  const size_t i = status_index(code);
  return i < errors.size() ? errors[i] : nullptr;
}

// ---- HttpInbox (any thread) ---------------------------------------------------------------------

Status HttpInbox::push(Item item, bool counted) {
  MutexLock lock(mu_);
  if (engine_ == nullptr) return failed_precondition("the runtime serving this HTTP stream has stopped");
  if (counted) {
    if (pending_starts_ >= capacity_) {
      engine_->ctx().m.command_rejected->inc();
      return queue_full("HTTP start queue of the slot is full (" + std::to_string(capacity_) + ")");
    }
    NetContext &ctx = engine_->ctx();
    const int64_t live = ctx.active_http.fetch_add(1) + ctx.active_ws.load();  // back in forget()
    if (live >= static_cast<int64_t>(ctx.options.max_connections)) {
      ctx.active_http.fetch_sub(1);
      return queue_full("runtime already serves max_connections=" +
                        std::to_string(ctx.options.max_connections) + " connections and streams");
    }
    ++pending_starts_;
  }
  items_.push_back(std::move(item));
  engine_->ctx().m.command_high_water->update_max(static_cast<int64_t>(items_.size()));
  uv_async_send(async_);  // under the lock: the loop closes the handle only after clearing engine_
  return Status::Ok();
}

Result<std::shared_ptr<HttpStream>> HttpInbox::start(HttpRequest request,
                                                     std::shared_ptr<HttpStreamHandler> handler) {
  if (!handler) return invalid_argument("HTTP stream handler must not be null");
  VOXLINE_ASSIGN_OR_RETURN(Url url, parse_url(request.url));
  VOXLINE_RETURN_IF_ERROR(validate(request, url));
  auto s = HttpStreamImpl::create(shared_from_this(), std::move(request), std::move(url), std::move(handler));
  Item item;
  item.kind = Item::kStart;
  item.stream = s;
  VOXLINE_RETURN_IF_ERROR(push(std::move(item), true));
  return std::shared_ptr<HttpStream>(std::move(s));
}

Status HttpInbox::preconnect(std::string_view url_text) {
  VOXLINE_ASSIGN_OR_RETURN(Url url, parse_url(url_text));
  if (url.is_websocket) return invalid_argument("preconnect URL must use http:// or https://");
  HttpRequest r;
  r.method = "HEAD";
  r.url = url.scheme + "://" + url.host_header() + "/";
  r.timeouts.idle = Duration::zero();
  std::shared_ptr<HttpStreamHandler> handler;
  {
    MutexLock lock(mu_);
    if (engine_ == nullptr) return failed_precondition("the runtime has stopped");
    handler = std::make_shared<PreconnectHandler>(*engine_->ctx().logger, engine_->m(),
                                                  url.scheme + "://" + url.host_header());
  }
  auto s = HttpStreamImpl::create(shared_from_this(), std::move(r), std::move(url), std::move(handler));
  Item item;
  item.kind = Item::kStart;
  item.stream = std::move(s);
  return push(std::move(item), true);
}

void HttpInbox::cancel(std::shared_ptr<HttpStreamImpl> stream) {
  Item item;
  item.kind = Item::kCancel;
  item.stream = std::move(stream);
  (void)push(std::move(item), false);  // after shutdown the stream has already ended
}

void HttpInbox::resolved(std::shared_ptr<HttpStreamImpl> stream, Result<std::vector<std::string>> addrs) {
  Item item;
  item.kind = Item::kResolved;
  item.stream = std::move(stream);
  item.addrs = std::move(addrs);
  (void)push(std::move(item), false);
}

// ---- CurlHttpEngine (loop thread) -------------------------------------------------------------------

CurlHttpEngine::CurlHttpEngine(NetContext &ctx, uv_loop_t *loop, int slot_index, LoadFn on_load)
    : ctx_(ctx),
      loop_(loop),
      slot_index_(slot_index),
      thread_(std::this_thread::get_id()),
      on_load_(std::move(on_load)),
      curl_(loop, &CurlHttpEngine::on_transfer_done, this),
      inbox_(std::make_shared<HttpInbox>(ctx.options.task_queue_capacity)) {
  m_.bind(ctx);
}

CurlHttpEngine::~CurlHttpEngine() {
  shutdown();
}

Status CurlHttpEngine::open() {
  if (open_) return Status::Ok();
  VOXLINE_RETURN_IF_ERROR(curl_.open(256, static_cast<long>(ctx_.options.http_max_streams_per_connection)));
  if (CURL *probe = curl_easy_init()) {
    char *capath = nullptr;
    curl_easy_getinfo(probe, CURLINFO_CAPATH, &capath);  // curl's built-in CA directory, if any
    if (capath != nullptr) system_ca_path_ = capath;
    curl_easy_cleanup(probe);
  }
  if (!ctx_.options.tls.ca_file.empty() && system_ca_path_.empty())
    VOXLINE_LOG_WARN(*ctx_.logger, "net",
                     "libcurl has no built-in CA directory: HTTPS trusts only {} (not the system store)",
                     ctx_.options.tls.ca_file);
  auto *a = new InboxAsync{};
  a->engine = this;
  uv_async_init(loop_, &a->async, [](uv_async_t *h) { static_cast<InboxAsync *>(h->data)->engine->wake(); });
  a->async.data = a;
  {
    MutexLock lock(inbox_->mu_);
    inbox_->engine_ = this;
    inbox_->async_ = &a->async;
  }
  open_ = true;
  VOXLINE_LOG_DEBUG(*ctx_.logger, "net", "HTTP engine of slot {} started", slot_index_);
  return Status::Ok();
}

void CurlHttpEngine::wake() {
  std::vector<HttpInbox::Item> items;
  {
    MutexLock lock(inbox_->mu_);
    items.swap(inbox_->items_);
    inbox_->pending_starts_ = 0;
  }
  for (auto &item : items) handle(item);
}

void CurlHttpEngine::handle(HttpInbox::Item &item) {
  const std::shared_ptr<HttpStreamImpl> &s = item.stream;
  switch (item.kind) {
    case HttpInbox::Item::kStart:
      live_.emplace(s->id(), s);
      live_count_.fetch_add(1, std::memory_order_relaxed);
      if (on_load_) on_load_(1);
      ctx_.m.http_open->add(1);
      if (shut_) {
        s->attach(*this);
        s->finish(cancelled("runtime shutting down"), "shutdown");
      } else {
        s->begin(*this);
      }
      break;
    case HttpInbox::Item::kCancel:
      if (live_.count(s->id()) != 0) s->on_cancel_requested();
      break;
    case HttpInbox::Item::kResolved:
      if (live_.count(s->id()) != 0) s->on_resolved(item.addrs);
      break;
  }
}

void CurlHttpEngine::forget(uint64_t id) {
  if (live_.erase(id) == 0) return;
  live_count_.fetch_sub(1, std::memory_order_relaxed);
  if (on_load_) on_load_(-1);
  ctx_.active_http.fetch_sub(1);
  ctx_.m.http_open->add(-1);
}

void CurlHttpEngine::on_transfer_done(void *ctx, CURL *easy, CURLcode result) {
  (void)ctx;
  HttpStreamImpl *s = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &s);
  if (s != nullptr) s->on_transfer_done(result);  // the easy lives exactly as long as its live stream
}

void CurlHttpEngine::shutdown() {
  if (shut_ || !open_) {
    shut_ = true;
    return;
  }
  shut_ = true;
  uv_async_t *async = nullptr;
  std::vector<HttpInbox::Item> items;
  {
    MutexLock lock(inbox_->mu_);
    inbox_->engine_ = nullptr;
    async = inbox_->async_;
    inbox_->async_ = nullptr;
    items.swap(inbox_->items_);
    inbox_->pending_starts_ = 0;
  }
  uv_close(reinterpret_cast<uv_handle_t *>(async),
           [](uv_handle_t *h) { delete static_cast<InboxAsync *>(h->data); });
  for (auto &item : items)
    if (item.kind == HttpInbox::Item::kStart) handle(item);  // ends at once with CANCELLED
  std::vector<std::shared_ptr<HttpStreamImpl>> live;
  live.reserve(live_.size());
  for (auto &kv : live_) live.push_back(kv.second);
  if (http1_) http1_->stop();  // ending streams must not park or open connections
  for (auto &s : live) s->finish(cancelled("runtime shutting down"), "shutdown");
  http1_.reset();
  curl_.close();
  VOXLINE_LOG_DEBUG(*ctx_.logger, "net", "HTTP engine of slot {} stopped", slot_index_);
}

void CurlHttpEngine::use_http1(SlotLoop &loop) {
  if (!http1_) http1_ = std::make_unique<Http1Pool>(loop, ctx_);
}

HttpClient resolve_http_client(HttpClient configured) {
  if (configured != HttpClient::kAuto) return configured;
  for (const char *name :
       {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
    const char *v = std::getenv(name);
    if (v != nullptr && *v != '\0') return HttpClient::kCurl;  // only curl speaks to proxies
  }
  return HttpClient::kHttp1;
}

Result<std::unique_ptr<HttpEngine>> make_curl_http_engine(SlotLoop &loop) {
  auto engine = std::make_unique<CurlHttpEngine>(loop.ctx(), loop.uv(), loop.index(),
                                                 [&loop](int64_t delta) { loop.add_load(delta); });
  VOXLINE_RETURN_IF_ERROR(engine->open());
  if (resolve_http_client(loop.ctx().options.http_client) == HttpClient::kHttp1) engine->use_http1(loop);
  return std::unique_ptr<HttpEngine>(std::move(engine));
}

}  // namespace voxline::detail
