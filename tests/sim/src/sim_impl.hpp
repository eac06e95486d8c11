// File: sim_impl.hpp
// Simulator::Impl, the lws glue of voxline-sim, shared by its .cpp files: simulator.cpp (context,
// service thread, dispatch, recording), request_info.cpp (headers, query, raw HTTP replies),
// ws_glue.cpp (websocket upgrade and frame playback), http_glue.cpp (HTTP requests and plans).
// Ownership: Impl owns one connection object per live wsi (conns) and the pending upgrades.
// Thread-safety: everything except the members guarded by `mu` and the atomics runs on the
// service thread only.
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include "sim/src/auth_grant.hpp"
#include "sim/src/http_plan.hpp"
#include "sim/src/scenario.hpp"
#include "sim/src/ws_session.hpp"
#include "voxline/core/thread_annotations.hpp"
#include "voxline_sim/simulator.hpp"

namespace voxline::sim {
namespace detail {

constexpr size_t kMaxBody = 16u << 20;          // request bodies / ws messages larger than this are refused
constexpr size_t kMaxRecordPayload = 1u << 20;  // recorded payloads are truncated beyond this
// Back-pressure: a websocket whose generated frames wait unsent beyond kPauseBytes (the client
// reads slower than it makes the simulator produce, e.g. echo) is not read until they fall to
// kResumeBytes, so the simulator's memory per connection stays bounded.
constexpr size_t kPauseBytes = 1u << 20;
constexpr size_t kResumeBytes = 256u << 10;

struct Conn;

// lws_sul callbacks get the list node only; this wrapper leads back to the connection.
struct TimerHook {
  lws_sorted_usec_list_t sul;  // first member: the callback casts the node back to TimerHook
  Conn *owner;
};

struct Conn {
  Simulator::Impl *impl = nullptr;
  lws *wsi = nullptr;
  uint64_t id = 0;
  std::string endpoint;
  int64_t opened_ms = 0;
  TimerHook timer{};
  std::shared_ptr<const Scenario> scenario;
  std::vector<const Fault *> faults;  // point into *scenario
  virtual ~Conn() { lws_sul_cancel(&timer.sul); }
};

struct WsConn final : Conn {
  std::unique_ptr<WsSession> session;
  std::string rx;
  bool rx_binary = false;
  int64_t sent = 0;  // messages sent (text + binary)
  int64_t stall_until = 0;
  std::vector<bool> fault_done;
  bool kill = false;  // cut the TCP connection at the next writeable
  bool cut = false;   // write side shut by a drop fault; waiting for the client to close
  OutFrame pending_close;
  bool close_now = false;
  size_t queued_bytes = 0;  // payload bytes in session->out, as last counted
  bool rx_paused = false;   // lws_rx_flow_control(wsi, 0) in force
};

struct HttpConn final : Conn {
  std::string method, path, body;
  std::vector<std::pair<std::string, std::string>> headers;
  QueryParams query;
  bool responding = false, headers_sent = false, done = false, counted = false;
  HttpPlan plan;
  int64_t response_start_ms = 0;
  size_t next_step = 0;
  size_t step_offset = 0;  // bytes of steps[next_step] already written (split_bytes)
};

struct PendingUpgrade {
  std::string endpoint;
  uint64_t id = 0;
  std::shared_ptr<const Scenario> scenario;
  std::vector<const Fault *> faults;
  std::unique_ptr<WsSession> session;
};

inline std::string lower_copy(std::string s) {
  for (char &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One lws_write of `data` with the LWS_PRE headroom lws needs; true when all bytes were taken.
inline bool write_all(lws *wsi, std::string_view data, lws_write_protocol proto) {
  std::string buf(LWS_PRE, '\0');
  buf.append(data.data(), data.size());
  int n = lws_write(wsi, reinterpret_cast<unsigned char *>(&buf[LWS_PRE]), data.size(), proto);
  return n >= static_cast<int>(data.size());
}

inline std::string endpoint_for_ws(const std::string &path) {
  if (path == "/v1/listen") return "stt";
  if (path == "/v1/speak") return "tts";
  if (path == "/test/echo") return "echo";
  return "";
}

inline std::string endpoint_for_http(const std::string &path) {
  if (path == "/v1/chat/completions") return "llm";
  if (path == "/v1/auth/grant") return "auth";
  if (path == "/test/sse") return "sse";
  if (path == "/v1/speak") return "tts_rest";  // Deepgram REST TTS (a POST; the GET upgrade is "tts")
  return "other";
}

}  // namespace detail

using detail::Conn;
using detail::Fault;
using detail::FaultType;
using detail::HttpConn;
using detail::HttpPlan;
using detail::OutFrame;
using detail::PendingUpgrade;
using detail::QueryParams;
using detail::Scenario;
using detail::WsConn;

class Simulator::Impl {
 public:
  SimOptions opts;
  // TLS only: the client SSL_CTX lws would otherwise create for the vhost (and, in lws 4.1.6, leak
  // once another lws context has been created in the process; see start()). Outlives ctx.
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> client_ssl{nullptr, &SSL_CTX_free};
  lws_context *ctx = nullptr;
  std::thread thread;
  std::atomic<bool> stop{false};
  int port = 0;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  mutable Mutex mu;
  std::shared_ptr<const Scenario> scenario VOXLINE_GUARDED_BY(mu);
  std::map<std::string, int64_t, std::less<>> counters VOXLINE_GUARDED_BY(mu);
  std::map<std::string, uint64_t, std::less<>> accepted VOXLINE_GUARDED_BY(mu);
  std::deque<RecordedMessage> records VOXLINE_GUARDED_BY(mu);
  size_t records_bytes VOXLINE_GUARDED_BY(mu) = 0;  // payload bytes in records
  uint64_t records_dropped VOXLINE_GUARDED_BY(mu) = 0;
  std::atomic<size_t> open{0};
  std::atomic<size_t> queued_bytes{0};  // sum of WsConn::queued_bytes
  std::atomic<uint64_t> next_id{1};
  std::atomic<uint64_t> llm_serial{1};
  // Service-thread only.
  std::unordered_map<lws *, std::unique_ptr<Conn>> conns;
  std::unordered_map<lws *, PendingUpgrade> pending;
  detail::GrantStore grants;  // access tokens from POST /v1/auth/grant
  int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
        .count();
  }
  // max_recorded 0 turns recording off; hot paths check this before building a record.
  bool recording() const { return opts.max_recorded > 0; }
  void record(RecordedMessage m);
  void record_simple(const Conn &c, const char *dir, const char *kind, std::string payload, int status = 0);
  // Snapshot of the scenario, this connection's index on `endpoint` (since the scenario was
  // loaded) and the faults that apply to it.
  std::shared_ptr<const Scenario> begin(const std::string &endpoint, std::vector<const Fault *> &faults,
                                        int64_t *index = nullptr);
  static std::string header(lws *wsi, lws_token_indexes tok);
  static std::string custom_header(lws *wsi, const char *name_colon);
  static std::vector<std::pair<std::string, std::string>> headers_of(lws *wsi);
  static QueryParams query_of(lws *wsi);
  static std::string path_with_query(const std::string &path, const QueryParams &q);
  // Credentials each kind of endpoint accepts.
  enum class AuthScheme {
    kDeepgram,  // "Token <api key>", or "Bearer <jwt>" for a token granted here and not expired
    kOpenAi,    // "Bearer <api key>"
    kAnyKey,    // generic test endpoints: "Token <api key>" or "Bearer <api key>"
  };
  bool auth_ok(const std::string &authz, AuthScheme scheme) const;
  // Writes a complete HTTP response directly (used while the ws upgrade is still HTTP).
  static int write_http_response(lws *wsi, int status, const std::string &content_type,
                                 const std::string &body,
                                 const std::vector<std::pair<std::string, std::string>> &headers);
  static const char *reason_phrase(int status);
  int on_confirm_upgrade(lws *wsi);
  int on_add_headers(lws *wsi, void *in);
  int on_established(lws *wsi);
  int on_ws_receive(lws *wsi, const void *in, size_t len);
  // Decides what happens next on a websocket: runs due session timers and time-based faults,
  // asks for a writeable callback when a frame is due, else arms the timer for the next event.
  void pump_ws(WsConn &c);
  // Recounts c.queued_bytes and pauses / resumes reading from the client (kPauseBytes).
  void account_queue(WsConn &c);
  static void on_timer(lws_sorted_usec_list_t *sul);
  static std::string default_close_reason(int code);
  // Records before writing, so a client that saw a message always finds it in recorded().
  int write_ws(WsConn &c, OutFrame::Kind kind, const std::string &payload);
  int close_ws(WsConn &c, int code, std::string reason);
  int drop(Conn &c);
  int cut_ws(WsConn &c);
  int on_ws_writeable(lws *wsi);
  void on_peer_close(lws *wsi, const void *in, size_t len);
  void forget(lws *wsi);
  int on_http(lws *wsi, const char *uri);
  int on_http_body(lws *wsi, const void *in, size_t len);
  int on_http_body_done(lws *wsi);
  int respond(HttpConn &c);
  HttpPlan respond_tts_rest(const HttpConn &c, const std::string &authz,
                            const std::vector<const Fault *> &faults);
  static HttpPlan build_sse_response(const std::string &body, const Scenario &sc,
                                     const std::vector<const Fault *> &faults);
  int on_http_writeable(lws *wsi);
  int finish_http(HttpConn &c);
  void schedule_http(HttpConn &c);
  static int callback(lws *wsi, lws_callback_reasons reason, void *user, void *in, size_t len);
};

}  // namespace voxline::sim
