// Runtime: owns the slots (one SlotLoop thread each, its HTTP engine on the same loop), the
// resolver and what they share; checks the file descriptor limit up front.
#include "voxline/net/runtime.hpp"

#include <curl/curl.h>
#include <sys/resource.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <vector>

#include "net/curl_http_engine.hpp"
#include "net/lws_log.hpp"
#include "net/net_context.hpp"
#include "net/slot_impl.hpp"
#include "net/slot_loop.hpp"

namespace voxline {

namespace detail {
uint64_t next_stream_id() noexcept {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

namespace {
// Descriptors kept free beyond the connections: resolver, lws event pipes, logs, the host's own.
constexpr rlim_t kFdReserve = 64;

// Raises the soft RLIMIT_NOFILE towards the hard limit when `needed` exceeds it.
Status ensure_fd_limit(size_t max_connections, Logger &logger) {
  const rlim_t needed = static_cast<rlim_t>(max_connections) + kFdReserve;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return Status::Ok();  // cannot tell: let it run
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      VOXLINE_LOG_INFO(logger, "net", "raised RLIMIT_NOFILE soft limit from {} to {}",
                       static_cast<uint64_t>(lim.rlim_cur), static_cast<uint64_t>(raised.rlim_cur));
      lim = raised;
    }
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed)
    return failed_precondition("RLIMIT_NOFILE allows " + std::to_string(static_cast<uint64_t>(lim.rlim_cur)) +
                               " open files (hard limit " +
                               std::to_string(static_cast<uint64_t>(lim.rlim_max)) +
                               ") but max_connections=" + std::to_string(max_connections) + " needs " +
                               std::to_string(static_cast<uint64_t>(needed)) +
                               ": raise the limit (ulimit -n) or lower RuntimeOptions::max_connections");
  return Status::Ok();
}
}  // namespace
}  // namespace detail

struct Runtime::Impl {
  std::shared_ptr<detail::NetContext> ctx = std::make_shared<detail::NetContext>();
  std::unique_ptr<DnsResolver> resolver;
  std::unique_ptr<RateLimiterRegistry> limiters;  // budgets scoped to this Runtime
  std::vector<std::shared_ptr<detail::SlotLoop>> loops;
  std::vector<std::shared_ptr<detail::SlotImpl>> slots;
  bool log_attached = false;

  ~Impl() {
    // Slots first: they cancel every connection and stop asking the resolver; the resolver's
    // late callbacks then find closed slots and are dropped.
    for (auto &l : loops) l->stop();
    resolver.reset();
    if (log_attached) detail::lws_log_detach(ctx->logger);
  }
};

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtime::~Runtime() = default;

Result<std::unique_ptr<Runtime>> Runtime::create(const RuntimeOptions &options) {
  if (options.slots < defaults::kMinSlots || options.slots > defaults::kMaxSlots)
    return invalid_argument(fmt::format("slots must be within {}..{}, got {}", defaults::kMinSlots,
                                        defaults::kMaxSlots, options.slots));
  if (options.io_coalesce.count() < 0 || options.io_coalesce.count() > defaults::kMaxIoCoalesceUs)
    return invalid_argument(fmt::format("io_coalesce must be within 0..{} us, got {}",
                                        defaults::kMaxIoCoalesceUs, options.io_coalesce.count()));
  if (options.http_max_streams_per_connection < 1 || options.http_max_streams_per_connection > 1000)
    return invalid_argument(fmt::format("http_max_streams_per_connection must be within 1..1000, got {}",
                                        options.http_max_streams_per_connection));
  if (options.task_queue_capacity < 16) return invalid_argument("task_queue_capacity must be at least 16");
  if (options.max_connections < 1 || options.max_connections > (size_t{1} << 20))
    return invalid_argument("max_connections must be within 1..1048576");
  if (!options.tls.ca_file.empty() && !std::ifstream(options.tls.ca_file).good())
    return invalid_argument("cannot read TLS CA file '" + options.tls.ca_file + "'");
  Logger &logger = options.logger != nullptr ? *options.logger : default_logger();
  VOXLINE_RETURN_IF_ERROR(detail::ensure_fd_limit(options.max_connections, logger));

  static std::once_flag curl_once;
  static CURLcode curl_rc = CURLE_OK;
  std::call_once(curl_once, [] { curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_rc != CURLE_OK)
    return internal_error(std::string("curl_global_init failed: ") + curl_easy_strerror(curl_rc));

  auto impl = std::make_unique<Impl>();
  auto &ctx = *impl->ctx;
  ctx.options = options;
  ctx.metrics = options.metrics != nullptr ? options.metrics : &MetricsRegistry::global();
  ctx.bind_instruments();
  ctx.logger = &logger;
  detail::lws_log_attach(ctx.logger);
  impl->log_attached = true;
  if (options.tls.insecure_skip_verify)
    VOXLINE_LOG_WARN(logger, "net",
                     "TLS certificate verification is OFF (insecure_skip_verify): use this only in tests");
  impl->resolver = std::make_unique<DnsResolver>(options.dns, options.dns_lookup, Clock::system(),
                                                 ctx.metrics, ctx.logger);
  impl->limiters = std::make_unique<RateLimiterRegistry>(Clock::system(), ctx.metrics);
  ctx.resolver = impl->resolver.get();
  for (int i = 0; i < options.slots; ++i) {
    auto loop = std::make_shared<detail::SlotLoop>(impl->ctx, i, &detail::make_curl_http_engine);
    VOXLINE_RETURN_IF_ERROR(loop->start());
    impl->loops.push_back(loop);
    impl->slots.push_back(std::make_shared<detail::SlotImpl>(loop));
  }
  VOXLINE_LOG_INFO(logger, "net", "runtime started with {} slot(s)", options.slots);
  return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
}

std::shared_ptr<Slot> Runtime::pick_slot() {
  std::shared_ptr<detail::SlotImpl> best;
  size_t best_load = 0;
  for (auto &s : impl_->slots) {
    const size_t l = s->load();
    if (!best || l < best_load) {
      best = s;
      best_load = l;
    }
  }
  return best;
}

std::shared_ptr<Slot> Runtime::slot(int index) {
  if (index < 0 || index >= static_cast<int>(impl_->slots.size())) return nullptr;
  return impl_->slots[static_cast<size_t>(index)];
}

int Runtime::slot_count() const noexcept {
  return static_cast<int>(impl_->slots.size());
}

Result<std::shared_ptr<WsConnection>> Runtime::connect_websocket(const WsConnectOptions &options,
                                                                 std::shared_ptr<WsHandler> handler) {
  return pick_slot()->connect_websocket(options, std::move(handler));
}

Result<std::shared_ptr<HttpStream>> Runtime::start_http(HttpRequest request,
                                                        std::shared_ptr<HttpStreamHandler> handler) {
  return pick_slot()->start_http(std::move(request), std::move(handler));
}

MetricsRegistry &Runtime::metrics() noexcept {
  return *impl_->ctx->metrics;
}
DnsResolver &Runtime::resolver() noexcept {
  return *impl_->resolver;
}
RateLimiterRegistry &Runtime::rate_limiters() noexcept {
  return *impl_->limiters;
}
size_t Runtime::active_websockets() const noexcept {
  return static_cast<size_t>(std::max<int64_t>(impl_->ctx->active_ws.load(), 0));
}
size_t Runtime::active_http_streams() const noexcept {
  return static_cast<size_t>(std::max<int64_t>(impl_->ctx->active_http.load(), 0));
}

}  // namespace voxline
