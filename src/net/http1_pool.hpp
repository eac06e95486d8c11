// Internal: Http1Pool, the runtime's own HTTP/1.1 client connections of one slot: idle keep-alive
// connections by origin (scheme://host:port), the ones in use, and the dead ones waiting to be
// freed. See http1_connection.hpp for one connection's life.
//
//   Http1Pool pool(loop, ctx);                       // owned by the slot's HTTP engine
//   bool reused;
//   Http1Connection *c = pool.start(url, addrs, req, exchange, /*fresh=*/false, &reused);
//   pool.abandon(c);                                 // exchange gives up before its end
//   pool.stop(); /* end the streams */ pool.reset();  // slot shutdown
//
// Reuse: the most recently idle connection of the origin first (its TLS session and buffers are
// warm). Idle ones are closed after kHttp1KeepAliveIdle (one sweep timer, not one per
// connection), and beyond kHttp1MaxIdlePerOrigin. A connection abandoned mid-response (barge-in)
// is closed, and when its origin then has no idle connection a replacement is opened at once to
// the same addresses, so the next request pays no handshake.
// Threads: the slot's loop thread only.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/http1_connection.hpp"
#include "voxline/core/metrics.hpp"

namespace voxline::detail {

class SlotLoop;
struct NetContext;

class Http1Pool {
 public:
  Http1Pool(SlotLoop &loop, NetContext &ctx);
  ~Http1Pool();  // closes every connection
  Http1Pool(const Http1Pool &) = delete;
  Http1Pool &operator=(const Http1Pool &) = delete;

  // Serves `request` (kept alive by the exchange until on_http1_done or abandon) for `exchange`
  // on an idle connection to url's origin, or on a new one to `addrs` (always new with `fresh`).
  // `*opened` tells which. Never null before shutdown.
  Http1Connection *start(const Url &url, const std::vector<std::string> &addrs, const HttpRequest &request,
                         Http1Exchange &exchange, bool fresh, bool *opened);
  void abandon(Http1Connection *connection);
  // Slot shutdown, before the streams end: no connection goes idle or is opened from now on;
  // abandoned ones stay allocated until the destructor.
  void stop() noexcept { shut_ = true; }

  size_t idle_count() const noexcept;
  size_t open_count() const noexcept { return all_.size(); }

  // From connections (loop thread, inside their events).
  void became_idle(Http1Connection *connection);
  void died(Http1Connection *connection);
  // A connection in use was abandoned mid-response: keep a warm spare for its origin.
  void replace(const Http1Connection &closed);

 private:
  static std::string origin_of(const Url &url);
  Http1Connection *create(const std::string &origin, const Url &url, const std::vector<std::string> &addrs);
  void remove_idle(Http1Connection *connection);
  void arm_sweep();
  void sweep();
  void reap();

  SlotLoop &loop_;
  NetContext &ctx_;
  Counter *opened_ = nullptr;    // voxline_net_http_connections_opened_total
  Counter *replaced_ = nullptr;  // spares opened after an abandoned response
  Gauge *idle_gauge_ = nullptr;  // voxline_net_http1_idle_connections
  std::unordered_map<Http1Connection *, std::unique_ptr<Http1Connection>> all_;
  std::unordered_map<std::string, std::vector<Http1Connection *>> idle_;  // oldest first
  std::vector<std::unique_ptr<Http1Connection>> dead_;  // freed by the reaper, outside their events
  uv_timer_t *sweep_timer_ = nullptr;
  uv_timer_t *reap_timer_ = nullptr;
  bool sweep_armed_ = false;
  bool shut_ = false;
};

}  // namespace voxline::detail
