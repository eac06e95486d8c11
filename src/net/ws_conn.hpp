// Internal: WsConn, the WsConnection of one libwebsockets client on a SlotLoop.
//
// Threads. Public methods run on any thread: they touch only the two send lanes and the close
// request under mu_, and the atomic state; then they ask the loop for attention with an op bit
// (ops_ 0 -> non-zero pushes the connection onto the slot's attention list once; see
// slot_loop.hpp). Everything else - the wsi, phase, deadlines, receive buffer, handler - is
// loop-thread only. A send made on the slot's own thread skips the hop. Either way the
// connection joins the slot's flush list once and its lanes are written straight from the loop
// after the current callback (flush); a writeable callback is asked for only when the socket or
// the per-round budget leaves something unwritten, or to send the close frame. A control message
// (barge-in Clear) does not wait for the flush: the priority lane is written at once, unless the
// send comes from inside this connection's own lws callback.
// Deadlines: one uv timer per connection, armed for the earliest deadline of the current phase
// and re-evaluated lazily when it fires (idle and send progress only move timestamps).
// Lifetime: the slot's registry holds the connection from start until lws forgot its wsi (or,
// with no wsi, until the terminal event); the user's handle is a separate shared_ptr whose
// deleter closes the connection (handle_dropped).
#pragma once

#include <libwebsockets.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/net_context.hpp"
#include "voxline/core/thread_annotations.hpp"
#include "voxline/net/url.hpp"
#include "voxline/net/ws_connection.hpp"

namespace voxline::detail {

class SlotLoop;

// The lws protocol table every slot context uses.
const struct lws_protocols *ws_client_protocols() noexcept;

// Validates and opens a websocket on `loop` (any thread).
Result<std::shared_ptr<WsConnection>> ws_connect(const std::shared_ptr<SlotLoop> &loop,
                                                 const WsConnectOptions &options,
                                                 std::shared_ptr<WsHandler> handler);

class WsConn final : public WsConnection, public std::enable_shared_from_this<WsConn> {
 public:
  enum Op : uint32_t {
    kOpStart = 1u << 0,
    kOpResolved = 1u << 1,
    kOpRetry = 1u << 2,
    kOpWrite = 1u << 3,
    kOpClose = 1u << 4,
    kOpAbort = 1u << 5,
    kOpFlow = 1u << 6,
  };
  enum class Phase { kNew, kDns, kConnect, kHandshake, kOpen, kClosing, kDone };

  WsConn(std::shared_ptr<SlotLoop> loop, Url url, WsConnectOptions options,
         std::shared_ptr<WsHandler> handler);
  ~WsConn() override;

  // WsConnection (any thread).
  Status send(WsBuffer payload, WsMessageType type) override;
  Status send_control(WsBuffer payload, WsMessageType type) override;
  Status close(int code, std::string_view reason) override;
  void abort() override;
  size_t discard_queued() override;
  std::vector<WsOutMessage> take_unsent() override;
  void pause_reading() override;
  void resume_reading() override;
  WsState state() const override { return state_.load(std::memory_order_acquire); }
  WsStats stats() const override;
  uint64_t id() const override { return id_; }

  // Any thread.
  Status signal(uint32_t ops);
  void handle_dropped();

  // Loop thread.
  void on_attention();
  // Writes what the lanes hold now, priority first (SlotLoop's flush list).
  void flush();
  int on_lws(struct lws *wsi, int reason, void *in, size_t len);
  void cancel_for_shutdown();
  void close_handles();

 private:
  struct Deadlines;
  Status enqueue(WsBuffer payload, WsMessageType type, bool priority);
  void wake_writer();
  void start();
  void connect_resolved();
  void connect_next();
  void connect_failed(const std::string &why);
  void begin_close();
  void apply_flow();
  void want_write();
  void request_flush();
  void write_control_now();
  void kill_after_failed_write();
  struct Written {
    int messages = 0;
    bool more = false;     // something is left: budget spent, or the socket took only part
    bool drained = false;  // the data lane fell to its low-water mark
    bool failed = false;   // lws refused the write: the connection is dead
  };
  Written write_lanes(struct lws *wsi, bool control_only = false);
  int on_writeable(struct lws *wsi);
  int on_receive(struct lws *wsi, void *in, size_t len);
  void on_established(struct lws *wsi);
  void on_connection_error(struct lws *wsi, void *in, size_t len);
  void on_closed();
  void rearm();
  void on_deadline();
  void timeout(const char *phase, Duration limit);
  void end();
  void fail(WsErrorInfo info);
  void finish_close(WsCloseInfo info);
  void release();
  bool lanes_empty();
  bool has_writable();
  uint64_t now_ms() const;
  static const char *phase_name(Phase p);
  static uint64_t to_ms(Duration d);  // rounded up to whole milliseconds, never negative

  const std::shared_ptr<SlotLoop> loop_;
  NetContext &ctx_;
  const uint64_t id_;
  const Url url_;
  const WsConnectOptions options_;
  std::atomic<WsState> state_{WsState::kConnecting};
  std::atomic<uint32_t> ops_{0};
  std::atomic<bool> want_paused_{false};
  std::atomic<uint64_t> msgs_sent_{0}, bytes_sent_{0}, msgs_recv_{0}, bytes_recv_{0}, pongs_{0},
      send_rejected_{0}, discarded_{0}, controls_sent_{0};
  std::atomic<int64_t> last_control_written_ns_{0};  // steady_clock ticks since its epoch

  mutable Mutex mu_;
  std::deque<WsOutMessage> data_ VOXLINE_GUARDED_BY(mu_);
  std::deque<WsOutMessage> control_ VOXLINE_GUARDED_BY(mu_);
  size_t data_bytes_ VOXLINE_GUARDED_BY(mu_) = 0;
  size_t control_bytes_ VOXLINE_GUARDED_BY(mu_) = 0;
  size_t high_water_ VOXLINE_GUARDED_BY(mu_) = 0;
  bool drain_armed_ VOXLINE_GUARDED_BY(mu_) = false;
  int req_close_code_ VOXLINE_GUARDED_BY(mu_) = 1000;
  std::string req_close_reason_ VOXLINE_GUARDED_BY(mu_);
  std::optional<Result<std::vector<std::string>>> resolved_ VOXLINE_GUARDED_BY(mu_);

  // Loop thread only.
  std::shared_ptr<WsHandler> handler_;
  struct lws *wsi_ = nullptr;
  Phase phase_ = Phase::kNew;
  uv_timer_t *timer_ = nullptr;
  bool timer_armed_ = false;
  uint64_t armed_due_ = 0;
  uint64_t connect_due_ = 0, handshake_due_ = 0, close_due_ = 0, last_rx_ = 0, send_since_ = 0;
  bool send_waiting_ = false;
  bool flush_listed_ = false;
  bool in_lws_ = false;  // inside one of this connection's lws callbacks
  bool paused_ = false;
  bool terminal_ = false;
  bool killed_ = false;
  bool was_open_ = false;
  bool close_requested_ = false;
  bool close_sent_ = false;
  bool retry_pending_ = false;
  int close_code_ = 1000;
  std::string close_reason_;
  int peer_close_code_ = -1;
  std::string peer_close_reason_;
  std::optional<WsErrorInfo> pending_error_;  // reported when lws tears the wsi down
  std::string rx_;
  bool rx_binary_ = false;
  bool rx_discard_ = false;  // an oversized message is being refused
  std::vector<std::string> addrs_;
  size_t next_addr_ = 0;
  std::string last_connect_error_;
  WsOpenInfo open_info_;     // read in FILTER_PRE_ESTABLISH, while lws still has the headers
  std::string address_;      // kept alive for lws_client_connect_via_info
  std::string host_header_;  // likewise
  lws_retry_bo_t retry_{};
};

}  // namespace voxline::detail
