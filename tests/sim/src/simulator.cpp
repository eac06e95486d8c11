// Simulator: the lws context (one vhost, websocket and HTTP on one port), its single service
// thread, callback dispatch, recording and the public API.
#include "sim/src/sim_impl.hpp"

#include <fmt/format.h>

namespace voxline::sim {

using namespace detail;  // NOLINT(google-build-using-namespace): internal glue

void Simulator::Impl::record(RecordedMessage m) {
  if (!recording()) return;
  m.t_ms = now_ms();
  m.size = m.size ? m.size : m.payload.size();
  if (m.payload.size() > kMaxRecordPayload) m.payload.resize(kMaxRecordPayload);
  MutexLock lock(mu);
  records_bytes += m.payload.size();
  records.push_back(std::move(m));
  while (records.size() > 1 &&
         (records.size() > opts.max_recorded || records_bytes > opts.max_recorded_bytes)) {
    records_bytes -= records.front().payload.size();
    records.pop_front();
    ++records_dropped;
  }
}

void Simulator::Impl::record_simple(const Conn &c, const char *dir, const char *kind, std::string payload,
                                    int status) {
  RecordedMessage m;
  m.endpoint = c.endpoint;
  m.direction = dir;
  m.kind = kind;
  m.payload = std::move(payload);
  m.connection_id = c.id;
  m.status = status;
  record(std::move(m));
}

std::shared_ptr<const Scenario> Simulator::Impl::begin(const std::string &endpoint,
                                                       std::vector<const Fault *> &faults,
                                                       int64_t *index_out) {
  MutexLock lock(mu);
  int64_t index = counters[endpoint]++;
  if (index_out != nullptr) *index_out = index;
  accepted[endpoint]++;
  for (const Fault &f : scenario->faults)
    if (f.endpoint == endpoint && (f.first_n == 0 || index < f.first_n)) faults.push_back(&f);
  return scenario;
}

void Simulator::Impl::forget(lws *wsi) {
  pending.erase(wsi);
  auto it = conns.find(wsi);
  if (it == conns.end()) return;
  if (auto *h = dynamic_cast<HttpConn *>(it->second.get())) {
    if (h->counted) open--;
  } else {
    open--;
    queued_bytes -= static_cast<WsConn &>(*it->second).queued_bytes;
  }
  conns.erase(it);
}

int Simulator::Impl::callback(lws *wsi, lws_callback_reasons reason, void *user, void *in, size_t len) {
  (void)user;
  lws_context *cx = lws_get_context(wsi);
  auto *self = cx != nullptr ? static_cast<Impl *>(lws_context_user(cx)) : nullptr;
  if (self == nullptr) return 0;
  switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: return self->on_confirm_upgrade(wsi);
    case LWS_CALLBACK_ADD_HEADERS: return self->on_add_headers(wsi, in);
    case LWS_CALLBACK_ESTABLISHED: return self->on_established(wsi);
    case LWS_CALLBACK_RECEIVE: return self->on_ws_receive(wsi, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE: return self->on_ws_writeable(wsi);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: self->on_peer_close(wsi, in, len); return 0;
    case LWS_CALLBACK_CLOSED: self->forget(wsi); return 0;
    case LWS_CALLBACK_HTTP: return self->on_http(wsi, static_cast<const char *>(in));
    case LWS_CALLBACK_HTTP_BODY: return self->on_http_body(wsi, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: return self->on_http_body_done(wsi);
    case LWS_CALLBACK_HTTP_WRITEABLE: return self->on_http_writeable(wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_WSI_DESTROY: self->forget(wsi); return 0;
    default: return 0;
  }
}

namespace {

const lws_protocols kProtocols[] = {
    {"voxline-sim", &Simulator::Impl::callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

const lws_extension kExtensions[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
    {nullptr, nullptr, nullptr},
};

std::once_flag g_log_once;

}  // namespace

Simulator::Simulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Simulator>> Simulator::start(const SimOptions &opts) {
  if (opts.tls_cert_file.empty() != opts.tls_key_file.empty())
    return invalid_argument("SimOptions: set both tls_cert_file and tls_key_file, or neither");
  if (opts.port < 0 || opts.port > 65535) return invalid_argument("SimOptions.port: must be 0..65535");
  auto sc = parse_scenario(opts.scenario_json);
  if (!sc.ok()) return sc.status();
  std::call_once(g_log_once, [] { lws_set_log_level(LLL_ERR, nullptr); });

  auto impl = std::make_unique<Impl>();
  impl->opts = opts;
  {
    MutexLock lock(impl->mu);  // no service thread yet, but the analysis wants one rule for all writes
    impl->scenario = *sc;
  }
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = opts.port;
  info.iface = impl->opts.host.c_str();
  info.vhost_name = "voxline-sim";
  info.protocols = kProtocols;
  info.extensions = kExtensions;
  info.user = impl.get();
  info.max_http_header_data = 8192;
  info.pt_serv_buf_size = 32768;
  info.timeout_secs = 30;
  info.alpn = "http/1.1";  // chunked SSE framing is HTTP/1.1 only: never negotiate h2
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  if (!opts.tls_cert_file.empty()) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = impl->opts.tls_cert_file.c_str();
    info.ssl_private_key_filepath = impl->opts.tls_key_file.c_str();
    // lws 4.1.6 gives every vhost a client SSL_CTX (system CA store loaded) and finds it again at
    // destroy through an SSL_CTX ex-data index that every later DO_SSL_GLOBAL_INIT context
    // re-acquires (lws issues 2044/2178, fixed in 4.2), so it never frees it once a client context
    // was created after us. The sim never connects out: hand lws a bare one that we own and free.
    impl->client_ssl.reset(SSL_CTX_new(TLS_client_method()));
    if (!impl->client_ssl) return internal_error("voxline-sim: SSL_CTX_new failed");
    info.provided_client_ssl_ctx = impl->client_ssl.get();
  }
  impl->ctx = lws_create_context(&info);
  if (impl->ctx == nullptr)
    return unavailable(fmt::format("voxline-sim: cannot listen on {}:{} (lws_create_context failed{})",
                                   opts.host, opts.port,
                                   opts.tls_cert_file.empty() ? "" : "; check the TLS cert/key files"));
  lws_vhost *vh = lws_get_vhost_by_name(impl->ctx, "voxline-sim");
  impl->port = vh != nullptr ? lws_get_vhost_listen_port(vh) : -1;
  if (impl->port <= 0) {
    lws_context_destroy(impl->ctx);
    return internal_error("voxline-sim: could not read the listening port");
  }
  Impl *raw = impl.get();
  impl->thread = std::thread([raw] {
    while (!raw->stop.load()) {
      if (lws_service(raw->ctx, 0) < 0) break;
    }
  });
  return std::unique_ptr<Simulator>(new Simulator(std::move(impl)));
}

Simulator::~Simulator() {
  if (!impl_) return;
  impl_->stop.store(true);
  lws_cancel_service(impl_->ctx);
  if (impl_->thread.joinable()) impl_->thread.join();
  // The service thread is gone: unlink every timer while the context's lists still exist.
  for (auto &entry : impl_->conns) lws_sul_cancel(&entry.second->timer.sul);
  lws_context_destroy(impl_->ctx);  // closes every connection; callbacks run on this thread
  impl_->conns.clear();
  impl_->pending.clear();
}

int Simulator::port() const {
  return impl_->port;
}
bool Simulator::tls() const {
  return !impl_->opts.tls_cert_file.empty();
}

std::string Simulator::ws_url(std::string_view path) const {
  return fmt::format("{}://{}:{}{}", tls() ? "wss" : "ws", impl_->opts.host, impl_->port, path);
}
std::string Simulator::http_url(std::string_view path) const {
  return fmt::format("{}://{}:{}{}", tls() ? "https" : "http", impl_->opts.host, impl_->port, path);
}

Status Simulator::load_scenario(std::string_view json) {
  auto sc = parse_scenario(json);
  if (!sc.ok()) return sc.status();
  MutexLock lock(impl_->mu);
  impl_->scenario = *sc;
  impl_->counters.clear();
  return Status::Ok();
}

std::vector<RecordedMessage> Simulator::recorded() const {
  MutexLock lock(impl_->mu);
  return {impl_->records.begin(), impl_->records.end()};
}

uint64_t Simulator::recorded_dropped() const {
  MutexLock lock(impl_->mu);
  return impl_->records_dropped;
}

std::vector<RecordedMessage> Simulator::recorded(std::string_view endpoint) const {
  MutexLock lock(impl_->mu);
  std::vector<RecordedMessage> out;
  for (const auto &m : impl_->records)
    if (m.endpoint == endpoint) out.push_back(m);
  return out;
}

void Simulator::clear_recorded() {
  MutexLock lock(impl_->mu);
  impl_->records.clear();
  impl_->records_bytes = 0;
}

size_t Simulator::open_connections() const {
  return impl_->open.load();
}

size_t Simulator::queued_bytes() const {
  return impl_->queued_bytes.load();
}

uint64_t Simulator::accepted(std::string_view endpoint) const {
  MutexLock lock(impl_->mu);
  auto it = impl_->accepted.find(endpoint);
  return it == impl_->accepted.end() ? 0 : it->second;
}

}  // namespace voxline::sim
