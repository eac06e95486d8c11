// Internal: one libwebsockets client context and the thread that services it.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net_context.hpp"
#include "voxline/core/bounded_queue.hpp"
#include "voxline/net/ws_connection.hpp"

struct lws_context;
struct lws;

namespace voxline::detail {

class WsConn;

struct WsCommand {
  enum Kind { kConnect, kResolved, kWrite, kClose } kind = kWrite;
  std::shared_ptr<WsConn> conn;
  Result<std::vector<std::string>> addrs{Status(StatusCode::kInternal, "unset")};
  int close_code = 1000;
  std::string close_reason;
};

struct WsLoopLink;

class WsLoop {
 public:
  WsLoop(NetContext &ctx, int index);
  ~WsLoop();
  Status start();
  void stop();  // delivers CANCELLED to every live connection, joins, destroys the context

  // Any thread: queue a new connection (its events arrive through `handler`).
  Result<std::shared_ptr<WsConnection>> connect(const WsConnectOptions &options,
                                                std::shared_ptr<WsHandler> handler);
  // Any thread: queue a command for the loop behind `link`; FAILED_PRECONDITION once it stopped.
  static Status post_to(const std::shared_ptr<WsLoopLink> &link, WsCommand cmd);
  NetContext &ctx() noexcept { return ctx_; }
  bool stopped() const noexcept { return stopping_.load(std::memory_order_acquire); }

  // I/O thread only (called from the lws callback).
  int on_lws_event(struct lws *wsi, int reason, void *user, void *in, size_t len);
  void on_tick();

 private:
  void run();
  void drain_commands();
  void handle(WsCommand &cmd);
  void start_connect(const std::shared_ptr<WsConn> &conn);
  void connect_resolved(const std::shared_ptr<WsConn> &conn, const Result<std::vector<std::string>> &addrs);
  void schedule_tick();
  Status post(WsCommand cmd);  // with link->mu held
  void end(const std::shared_ptr<WsConn> &conn);
  void fail(const std::shared_ptr<WsConn> &conn, WsErrorInfo info);
  void finish_close(const std::shared_ptr<WsConn> &conn, WsCloseInfo info);
  void timeout(const std::shared_ptr<WsConn> &conn, const char *phase, Duration limit);
  void release(const std::shared_ptr<WsConn> &conn);

  NetContext &ctx_;
  int index_;
  struct lws_context *lws_ = nullptr;
  std::thread thread_;
  BoundedQueue<WsCommand> commands_;
  std::atomic<bool> stopping_{false};
  std::shared_ptr<WsLoopLink> link_;
  std::unordered_map<uint64_t, std::shared_ptr<WsConn>> conns_;  // by id; I/O thread only

 public:
  struct Tick;

 private:
  std::unique_ptr<Tick> tick_;
  bool tick_scheduled_ = false;
};

}  // namespace voxline::detail
