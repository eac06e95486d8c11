#include "voxline/net/runtime.hpp"

#include <curl/curl.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <vector>

#include "http_loop.hpp"
#include "net_context.hpp"
#include "ws_loop.hpp"

namespace voxline {

namespace detail {
uint64_t next_stream_id() noexcept {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace detail

struct Runtime::Impl {
  detail::NetContext ctx;
  std::unique_ptr<DnsResolver> resolver;
  std::vector<std::unique_ptr<detail::WsLoop>> ws;
  std::vector<std::unique_ptr<detail::HttpLoop>> http;
  std::atomic<uint64_t> next_ws{0}, next_http{0};

  ~Impl() {
    // The resolver goes first: its pending callbacks still find the loops to post into.
    resolver.reset();
    for (auto &l : ws) l->stop();
    for (auto &l : http) l->stop();
  }
};

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::create(const RuntimeOptions &options) {
  if (options.io_threads < defaults::kMinSlots || options.io_threads > defaults::kMaxSlots)
    return invalid_argument(fmt::format("io_threads must be within {}..{}, got {}", defaults::kMinSlots,
                                        defaults::kMaxSlots, options.io_threads));
  if (options.command_queue_capacity < 16)
    return invalid_argument("command_queue_capacity must be at least 16");
  if (!options.tls.ca_file.empty() && !std::ifstream(options.tls.ca_file).good())
    return invalid_argument("cannot read TLS CA file '" + options.tls.ca_file + "'");

  static std::once_flag curl_once;
  static CURLcode curl_rc = CURLE_OK;
  std::call_once(curl_once, [] { curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_rc != CURLE_OK)
    return internal_error(std::string("curl_global_init failed: ") + curl_easy_strerror(curl_rc));

  auto impl = std::make_unique<Impl>();
  impl->ctx.options = options;
  impl->ctx.metrics = options.metrics != nullptr ? options.metrics : &MetricsRegistry::global();
  impl->ctx.bind_instruments();
  impl->ctx.logger = options.logger != nullptr ? options.logger : &default_logger();
  if (options.tls.insecure_skip_verify)
    VOXLINE_LOG_WARN(*impl->ctx.logger, "net",
                     "TLS certificate verification is OFF (insecure_skip_verify): use this only in tests");
  impl->resolver =
      std::make_unique<DnsResolver>(options.dns, options.dns_lookup, Clock::system(), impl->ctx.metrics);
  impl->ctx.resolver = impl->resolver.get();
  for (int i = 0; i < options.io_threads; ++i) {
    impl->ws.push_back(std::make_unique<detail::WsLoop>(impl->ctx, i));
    VOXLINE_RETURN_IF_ERROR(impl->ws.back()->start());
    impl->http.push_back(std::make_unique<detail::HttpLoop>(impl->ctx, i));
    VOXLINE_RETURN_IF_ERROR(impl->http.back()->start());
  }
  VOXLINE_LOG_INFO(*impl->ctx.logger, "net", "runtime started with {} I/O slot(s)", options.io_threads);
  return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
}

Result<std::shared_ptr<WsConnection>> Runtime::connect_websocket(const WsConnectOptions &options,
                                                                 std::shared_ptr<WsHandler> handler) {
  const size_t i = impl_->next_ws.fetch_add(1) % impl_->ws.size();
  return impl_->ws[i]->connect(options, std::move(handler));
}

Result<std::shared_ptr<HttpStream>> Runtime::start_http(HttpRequest request,
                                                        std::shared_ptr<HttpStreamHandler> handler) {
  const size_t i = impl_->next_http.fetch_add(1) % impl_->http.size();
  return impl_->http[i]->start_stream(std::move(request), std::move(handler));
}

int Runtime::io_threads() const noexcept {
  return static_cast<int>(impl_->ws.size());
}
MetricsRegistry &Runtime::metrics() noexcept {
  return *impl_->ctx.metrics;
}
DnsResolver &Runtime::resolver() noexcept {
  return *impl_->resolver;
}
size_t Runtime::active_websockets() const noexcept {
  return static_cast<size_t>(std::max<int64_t>(impl_->ctx.active_ws.load(), 0));
}
size_t Runtime::active_http_streams() const noexcept {
  return static_cast<size_t>(std::max<int64_t>(impl_->ctx.active_http.load(), 0));
}

}  // namespace voxline
