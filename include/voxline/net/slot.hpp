// File: slot.hpp
// Slot: one thread of a Runtime running one libuv loop that drives websockets (our own RFC 6455
// client on libuv sockets, TLS by OpenSSL), HTTP streams (libcurl multi_socket), timers and posted tasks. A
// session is pinned to one slot: everything opened or scheduled through the same Slot runs on that one
// thread, in order, so the session's state needs no lock. A Slot is the session's strand.
//
//   std::shared_ptr<Slot> slot = runtime->pick_slot();            // least loaded, or slot(i)
//   auto stt = slot->connect_websocket(stt_options, stt_handler);  // events on slot's thread
//   auto llm = slot->start_http(std::move(request), llm_handler);  // same thread, same order
//   slot->post([session] { session->on_host_audio(); });          // from a host thread
//   slot->schedule(std::chrono::seconds(8), [session] { session->reprompt(); });
//
// Threading: every callback of every connection, stream, timer and task opened with one Slot runs
// on that slot's thread, never two at once, with no voxline lock held. Callbacks may call any
// voxline function that does not wait for this slot (post, schedule, send, close, cancel, start
// new streams). They must not block: one slow callback delays every session on the slot.
// Ordering: tasks posted from one thread run in post order; a connection's events arrive in wire
// order; a callback never runs inside the call that caused it (post, send, close, cancel).
// Lifetime: the Runtime owns the slot's thread. A Slot handle may outlive the Runtime: its calls
// then fail with FAILED_PRECONDITION. The Runtime's destructor ends every connection and stream
// with a CANCELLED terminal event on the slot thread and joins the thread; do not destroy the
// Runtime from one of its own slot threads.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "voxline/core/executor.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/net/http_stream.hpp"
#include "voxline/net/ws_connection.hpp"

namespace voxline {

class VOXLINE_API Slot : public Executor {
 public:
  ~Slot() override = default;

  // Index within the Runtime, 0..slot_count()-1.
  virtual int index() const noexcept = 0;
  // Live websockets + HTTP streams + sessions pinned with pin(); pick_slot() chooses the lowest.
  virtual size_t load() const noexcept = 0;
  // Counts a long-lived owner (a session) toward load(); unpin() when it ends. Any thread.
  virtual void pin() noexcept = 0;
  virtual void unpin() noexcept = 0;

  // Opens a websocket on this slot. INVALID_ARGUMENT for a bad URL or options, QUEUE_FULL when
  // the slot's task queue is full; otherwise every outcome arrives through `handler`.
  virtual Result<std::shared_ptr<WsConnection>> connect_websocket(const WsConnectOptions &options,
                                                                  std::shared_ptr<WsHandler> handler) = 0;

  // Starts a streaming HTTP request on this slot. Same error rules as connect_websocket.
  virtual Result<std::shared_ptr<HttpStream>> start_http(HttpRequest request,
                                                         std::shared_ptr<HttpStreamHandler> handler) = 0;

  // Opens and keeps a connection (TCP + TLS, ALPN) to the origin of `url`, so the first request
  // does not pay the handshake. Returns once queued; failures are logged and counted, never fatal.
  virtual Status preconnect(std::string_view url) = 0;
};

}  // namespace voxline
