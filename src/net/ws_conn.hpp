// Internal: WsConn, the WsConnection of one client websocket on a SlotLoop: our own RFC 6455
// client (handshake, framing, close handshake, keepalive pings) over a TcpTlsStream, with the
// frames parsed in place by WsFrameReader. src/net/README.md says why libwebsockets is not used.
//
// Threads. Public methods run on any thread: they touch only the two send lanes and the close
// request under mu_, and the atomic state; then they ask the loop for attention with an op bit
// (ops_ 0 -> non-zero pushes the connection onto the slot's attention list once; see
// slot_loop.hpp). Everything else - the stream, phase, deadlines, receive buffer, handler - is
// loop-thread only. A send made on the slot's own thread skips the hop. Either way the
// connection joins the slot's flush list once and its lanes are written straight from the loop
// after the current callback (flush), priority lane first, one socket write for the batch. A
// control message (barge-in Clear) does not wait for the flush: the priority lane is written at
// once, unless the send comes from inside this connection's own stream callbacks.
// A stream failure seen while writing is reported from the next flush, never from inside the
// send that met it.
// Deadlines: one uv timer per connection, armed for the earliest deadline of the current phase
// and re-evaluated lazily when it fires (idle, ping and send progress only move timestamps).
// Lifetime: the slot's registry holds the connection from start until its terminal event; the
// user's handle is a separate shared_ptr whose deleter closes the connection (handle_dropped).
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/net_context.hpp"
#include "net/tcp_tls_stream.hpp"
#include "net/ws_frame_reader.hpp"
#include "net/ws_handshake.hpp"
#include "voxline/core/thread_annotations.hpp"
#include "voxline/net/url.hpp"
#include "voxline/net/ws_connection.hpp"

namespace voxline::detail {

class SlotLoop;

// Validates and opens a websocket on `loop` (any thread).
Result<std::shared_ptr<WsConnection>> ws_connect(const std::shared_ptr<SlotLoop> &loop,
                                                 const WsConnectOptions &options,
                                                 std::shared_ptr<WsHandler> handler);

class WsConn final : public WsConnection,
                     public std::enable_shared_from_this<WsConn>,
                     private TcpTlsEvents,
                     private WsFrameSink {
 public:
  enum Op : uint32_t {
    kOpStart = 1u << 0,
    kOpResolved = 1u << 1,
    kOpWrite = 1u << 2,
    kOpClose = 1u << 3,
    kOpAbort = 1u << 4,
    kOpFlow = 1u << 5,
  };
  // kRefused: the server answered the upgrade with another status; its body is being read.
  enum class Phase { kNew, kDns, kConnect, kHandshake, kRefused, kOpen, kClosing, kDone };

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
  void cancel_for_shutdown();
  void close_handles();

 private:
  Status enqueue(WsBuffer payload, WsMessageType type, bool priority);
  void wake_writer();
  void start();
  void connect_resolved();
  void connect_next();
  void connect_failed(const std::string &why, bool tls);
  void begin_close();
  void apply_flow();
  void resume_delivery();
  void request_flush();
  void write_control_now();
  struct Written {
    int messages = 0;
    bool more = false;     // something is left: budget spent, or the socket is backed up
    bool drained = false;  // the data lane fell to its low-water mark
    bool failed = false;   // the stream refused the write: the connection is dead
  };
  Written write_lanes(bool control_only = false);
  void write_more();
  bool send_frame(uint8_t opcode, const uint8_t *payload, size_t len);
  void send_close_frame();
  void start_closing(int code, std::string reason, std::optional<WsErrorInfo> error);
  void after_stream_failure();

  // TcpTlsEvents (loop thread, from the stream).
  void on_stream_connected() override;
  void on_stream_data(const uint8_t *data, size_t len) override;
  void on_stream_writable() override;
  void on_stream_eof() override;
  void on_stream_failed(const std::string &why, bool tls) override;
  // WsFrameSink (loop thread, from reader_).
  bool on_ws_data(uint8_t opcode, const uint8_t *data, size_t len, bool first, bool last) override;
  bool on_ws_control(uint8_t opcode, const uint8_t *payload, size_t len) override;

  void on_handshake_bytes(const uint8_t *data, size_t len);
  void on_refusal_bytes(const uint8_t *data, size_t len);
  void finish_refusal();
  void feed_frames(const uint8_t *data, size_t len);
  void on_established();
  void message_too_big();
  void protocol_violation(const std::string &why, int close_code = 1002);
  void on_peer_close(const uint8_t *payload, size_t len);
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
  std::unique_ptr<TcpTlsStream> stream_;
  struct Framed {
    WsOutMessage message;  // framed and masked in place
    uint32_t mask;
  };
  std::vector<Framed> batch_;  // one write_lanes() batch, until the socket took it
  WsFrameReader reader_;
  std::unique_ptr<WsHandshakeParser> handshake_;
  std::string key_;  // Sec-WebSocket-Key of the current attempt
  Phase phase_ = Phase::kNew;
  uv_timer_t *timer_ = nullptr;
  bool timer_armed_ = false;
  uint64_t armed_due_ = 0;
  uint64_t connect_due_ = 0, handshake_due_ = 0, close_due_ = 0, last_rx_ = 0, send_since_ = 0,
           last_ping_ = 0;
  bool send_waiting_ = false;
  bool flush_listed_ = false;
  bool in_cb_ = false;     // inside one of this connection's stream callbacks
  bool in_write_ = false;  // inside a write to the stream: its failure is reported afterwards
  bool stream_failed_ = false;
  std::string stream_error_;
  bool paused_ = false;
  bool resume_posted_ = false;
  bool terminal_ = false;
  bool was_open_ = false;
  bool close_requested_ = false;
  bool close_sent_ = false;
  int close_code_ = 1000;
  std::string close_reason_;
  std::optional<WsErrorInfo> pending_error_;  // reported when the close handshake ends
  std::string rx_;
  bool rx_binary_ = false;
  bool rx_not_utf8_ = false;  // the text message just received failed UTF-8 validation
  std::string stash_;         // received bytes not yet parsed: reading is paused
  WsErrorInfo refusal_;
  size_t refusal_body_want_ = 0;
  bool refusal_until_eof_ = false;
  std::vector<std::string> addrs_;
  size_t next_addr_ = 0;
  std::string address_;
  std::string last_connect_error_;
  bool last_connect_tls_ = false;
  WsOpenInfo open_info_;
};

}  // namespace voxline::detail
