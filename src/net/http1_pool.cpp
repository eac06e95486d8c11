// The HTTP/1.1 keep-alive connections of one slot (see http1_pool.hpp).
#include "net/http1_pool.hpp"

#include <algorithm>

#include "net/net_context.hpp"
#include "net/slot_loop.hpp"
#include "voxline/core/defaults.hpp"

namespace voxline::detail {

namespace {

constexpr uint64_t kSweepEveryMs = 5000;

uint64_t keep_alive_ms() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(defaults::kHttp1KeepAliveIdle).count());
}

uv_timer_t *new_timer(uv_loop_t *loop, Http1Pool *pool) {
  auto *t = new uv_timer_t;
  uv_timer_init(loop, t);
  t->data = pool;
  return t;
}

void close_timer(uv_timer_t *t) {
  if (t == nullptr) return;
  uv_timer_stop(t);
  uv_close(reinterpret_cast<uv_handle_t *>(t),
           [](uv_handle_t *h) { delete reinterpret_cast<uv_timer_t *>(h); });
}

}  // namespace

Http1Pool::Http1Pool(SlotLoop &loop, NetContext &ctx) : loop_(loop), ctx_(ctx) {
  MetricsRegistry &metrics = *ctx.metrics;
  opened_ = &metrics.counter("voxline_net_http_connections_opened_total",
                             "TCP connections opened for HTTP requests (a reused one counts 0)");
  replaced_ = &metrics.counter("voxline_net_http1_spares_opened_total",
                               "HTTP/1.1 connections opened to replace one closed by a cancelled response");
  idle_gauge_ = &metrics.gauge("voxline_net_http1_idle_connections",
                               "HTTP/1.1 keep-alive connections waiting idle in the slots' pools");
  sweep_timer_ = new_timer(loop.uv(), this);
  reap_timer_ = new_timer(loop.uv(), this);
}

Http1Pool::~Http1Pool() {
  shut_ = true;
  idle_gauge_->add(-static_cast<int64_t>(idle_count()));
  idle_.clear();
  for (auto &kv : all_) kv.second->close();
  all_.clear();
  dead_.clear();
  close_timer(sweep_timer_);
  close_timer(reap_timer_);
}

std::string Http1Pool::origin_of(const Url &url) {
  return (url.tls ? "https://" : "http://") + url.host_header();
}

size_t Http1Pool::idle_count() const noexcept {
  size_t n = 0;
  for (const auto &kv : idle_) n += kv.second.size();
  return n;
}

Http1Connection *Http1Pool::create(const std::string &origin, const Url &url,
                                   const std::vector<std::string> &addrs) {
  auto c = std::make_unique<Http1Connection>(*this, loop_, origin, url, addrs,
                                             ctx_.options.tls.insecure_skip_verify);
  Http1Connection *raw = c.get();
  all_.emplace(raw, std::move(c));
  opened_->inc();
  return raw;
}

Http1Connection *Http1Pool::start(const Url &url, const std::vector<std::string> &addrs,
                                  const HttpRequest &request, Http1Exchange &exchange, bool fresh,
                                  bool *opened) {
  if (shut_) return nullptr;
  const std::string origin = origin_of(url);
  if (!fresh) {
    auto it = idle_.find(origin);
    if (it != idle_.end() && !it->second.empty()) {
      Http1Connection *c = it->second.back();
      it->second.pop_back();
      idle_gauge_->add(-1);
      *opened = false;
      c->send(request, url, exchange);
      return c;
    }
  }
  Http1Connection *c = create(origin, url, addrs);
  *opened = true;
  c->open(&request, &url, &exchange);
  return c;
}

void Http1Pool::abandon(Http1Connection *connection) {
  if (connection != nullptr) connection->abandon();
}

void Http1Pool::became_idle(Http1Connection *connection) {
  if (shut_) return;
  auto &list = idle_[connection->origin()];
  list.push_back(connection);
  idle_gauge_->add(1);
  if (list.size() > defaults::kHttp1MaxIdlePerOrigin) {
    Http1Connection *oldest = list.front();
    list.erase(list.begin());
    idle_gauge_->add(-1);
    oldest->close();
    died(oldest);
  }
  arm_sweep();
}

void Http1Pool::remove_idle(Http1Connection *connection) {
  auto it = idle_.find(connection->origin());
  if (it == idle_.end()) return;
  auto &list = it->second;
  const size_t before = list.size();
  list.erase(std::remove(list.begin(), list.end(), connection), list.end());
  idle_gauge_->add(static_cast<int64_t>(list.size()) - static_cast<int64_t>(before));
  if (list.empty()) idle_.erase(it);
}

void Http1Pool::died(Http1Connection *connection) {
  remove_idle(connection);
  auto it = all_.find(connection);
  if (it == all_.end()) return;
  dead_.push_back(std::move(it->second));
  all_.erase(it);
  if (!shut_)
    uv_timer_start(
        reap_timer_, [](uv_timer_t *t) { static_cast<Http1Pool *>(t->data)->reap(); }, 0, 0);
}

void Http1Pool::replace(const Http1Connection &closed) {
  if (shut_) return;
  auto it = idle_.find(closed.origin());
  if (it != idle_.end() && !it->second.empty()) return;  // a spare is waiting already
  for (const auto &kv : all_)
    if (kv.first->origin() == closed.origin() && kv.first->state() == Http1Connection::State::kConnecting &&
        !kv.first->has_exchange())
      return;  // a spare is on its way
  replaced_->inc();
  create(closed.origin(), closed.url(), closed.addresses())->open(nullptr, nullptr, nullptr);
}

void Http1Pool::arm_sweep() {
  if (sweep_armed_ || shut_) return;
  sweep_armed_ = true;
  uv_timer_start(
      sweep_timer_, [](uv_timer_t *t) { static_cast<Http1Pool *>(t->data)->sweep(); }, kSweepEveryMs, 0);
}

void Http1Pool::sweep() {
  sweep_armed_ = false;
  const uint64_t now = uv_now(loop_.uv());
  const uint64_t max_idle = keep_alive_ms();
  std::vector<Http1Connection *> expired;
  for (const auto &kv : idle_)
    for (Http1Connection *c : kv.second)
      if (now >= c->idle_since_ms() + max_idle) expired.push_back(c);
  for (Http1Connection *c : expired) {
    c->close();
    died(c);
  }
  if (!idle_.empty()) arm_sweep();
}

void Http1Pool::reap() {
  dead_.clear();  // outside every connection's events: their streams are closed already
}

}  // namespace voxline::detail
