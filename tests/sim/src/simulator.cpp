// The lws glue of voxline-sim: one lws context with one vhost serving websocket and HTTP on the
// same port, a single service thread, lws_sul timers for pacing, and per-connection objects
// that play back what the pure protocol code (WsSession, HttpPlan) decided.
#include "voxline_sim/simulator.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <libwebsockets.h>

#include "http_plan.hpp"
#include "llm.hpp"
#include "scenario.hpp"
#include "voxline/core/json.hpp"
#include "ws_session.hpp"

namespace voxline::sim {

using namespace detail;  // NOLINT(google-build-using-namespace): internal glue

namespace {

constexpr size_t kMaxBody = 16u << 20;          // request bodies / ws messages larger than this are refused
constexpr size_t kMaxRecordPayload = 1u << 20;  // recorded payloads are truncated beyond this

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
  OutFrame pending_close;
  bool close_now = false;
};

struct HttpConn final : Conn {
  std::string method, path, body;
  std::vector<std::pair<std::string, std::string>> headers;
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

std::string lower_copy(std::string s) {
  for (char &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One lws_write of `data` with the LWS_PRE headroom lws needs; true when all bytes were taken.
bool write_all(lws *wsi, std::string_view data, lws_write_protocol proto) {
  std::string buf(LWS_PRE, '\0');
  buf.append(data.data(), data.size());
  int n = lws_write(wsi, reinterpret_cast<unsigned char *>(&buf[LWS_PRE]), data.size(), proto);
  return n >= static_cast<int>(data.size());
}

std::string endpoint_for_ws(const std::string &path) {
  if (path == "/v1/listen") return "stt";
  if (path == "/v1/speak") return "tts";
  if (path == "/test/echo") return "echo";
  return "";
}

std::string endpoint_for_http(const std::string &path) {
  if (path == "/v1/chat/completions") return "llm";
  if (path == "/test/sse") return "sse";
  return "other";
}

}  // namespace

class Simulator::Impl {
 public:
  SimOptions opts;
  lws_context *ctx = nullptr;
  std::thread thread;
  std::atomic<bool> stop{false};
  int port = 0;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();

  mutable std::mutex mu;  // guards scenario, counters, accepted, records
  std::shared_ptr<const Scenario> scenario;
  std::map<std::string, int64_t, std::less<>> counters;
  std::map<std::string, uint64_t, std::less<>> accepted;
  std::deque<RecordedMessage> records;
  uint64_t records_dropped = 0;
  std::atomic<size_t> open{0};
  std::atomic<uint64_t> next_id{1};
  std::atomic<uint64_t> llm_serial{1};

  // Service-thread only.
  std::unordered_map<lws *, std::unique_ptr<Conn>> conns;
  std::unordered_map<lws *, PendingUpgrade> pending;

  int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
        .count();
  }

  void record(RecordedMessage m) {
    m.t_ms = now_ms();
    m.size = m.size ? m.size : m.payload.size();
    if (m.payload.size() > kMaxRecordPayload) m.payload.resize(kMaxRecordPayload);
    std::lock_guard<std::mutex> lock(mu);
    records.push_back(std::move(m));
    while (records.size() > std::max<size_t>(1, opts.max_recorded)) {
      records.pop_front();
      ++records_dropped;
    }
  }
  void record_simple(const Conn &c, const char *dir, const char *kind, std::string payload, int status = 0) {
    RecordedMessage m;
    m.endpoint = c.endpoint;
    m.direction = dir;
    m.kind = kind;
    m.payload = std::move(payload);
    m.connection_id = c.id;
    m.status = status;
    record(std::move(m));
  }

  // Snapshot of the scenario plus this connection's index on `endpoint` and its faults.
  std::shared_ptr<const Scenario> begin(const std::string &endpoint, std::vector<const Fault *> &faults) {
    std::lock_guard<std::mutex> lock(mu);
    int64_t index = counters[endpoint]++;
    accepted[endpoint]++;
    for (const Fault &f : scenario->faults)
      if (f.endpoint == endpoint && (f.first_n == 0 || index < f.first_n)) faults.push_back(&f);
    return scenario;
  }
  int64_t request_index_of(const std::string &endpoint) {
    std::lock_guard<std::mutex> lock(mu);
    return counters[endpoint] - 1;
  }

  // ---- request inspection ------------------------------------------------------
  static std::string header(lws *wsi, lws_token_indexes tok) {
    int len = lws_hdr_total_length(wsi, tok);
    if (len <= 0) return {};
    std::string s(static_cast<size_t>(len) + 1, '\0');
    int n = lws_hdr_copy(wsi, s.data(), len + 1, tok);
    if (n < 0) return {};
    s.resize(static_cast<size_t>(n));
    return s;
  }
  static std::string custom_header(lws *wsi, const char *name_colon) {
    int nlen = static_cast<int>(std::strlen(name_colon));
    int len = lws_hdr_custom_length(wsi, name_colon, nlen);
    if (len <= 0) return {};
    std::string s(static_cast<size_t>(len) + 1, '\0');
    int n = lws_hdr_custom_copy(wsi, s.data(), len + 1, name_colon, nlen);
    if (n < 0) return {};
    s.resize(static_cast<size_t>(n));
    return s;
  }
  static std::vector<std::pair<std::string, std::string>> headers_of(lws *wsi) {
    static const std::pair<const char *, lws_token_indexes> kTokens[] = {
        {"host", WSI_TOKEN_HOST},
        {"authorization", WSI_TOKEN_HTTP_AUTHORIZATION},
        {"content-type", WSI_TOKEN_HTTP_CONTENT_TYPE},
        {"content-length", WSI_TOKEN_HTTP_CONTENT_LENGTH},
        {"accept", WSI_TOKEN_HTTP_ACCEPT},
        {"user-agent", WSI_TOKEN_HTTP_USER_AGENT},
        {"connection", WSI_TOKEN_CONNECTION},
        {"upgrade", WSI_TOKEN_UPGRADE},
        {"origin", WSI_TOKEN_ORIGIN},
        {"sec-websocket-protocol", WSI_TOKEN_PROTOCOL},
        {"sec-websocket-extensions", WSI_TOKEN_EXTENSIONS},
        {"transfer-encoding", WSI_TOKEN_HTTP_TRANSFER_ENCODING},
        {"expect", WSI_TOKEN_HTTP_EXPECT},
        {"accept-encoding", WSI_TOKEN_HTTP_ACCEPT_ENCODING},
    };
    static const std::pair<const char *, const char *> kCustom[] = {
        {"x-stainless-retry-count", "x-stainless-retry-count:"},
        {"openai-organization", "openai-organization:"},
        {"openai-project", "openai-project:"},
        {"x-api-key", "x-api-key:"},
        {"api-key", "api-key:"},
        {"x-request-id", "x-request-id:"},
        {"x-voxline-test", "x-voxline-test:"},
        {"x-voxline-session", "x-voxline-session:"},
    };
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto &[name, tok] : kTokens) {
      if (lws_hdr_total_length(wsi, tok) > 0) out.emplace_back(name, header(wsi, tok));
    }
    for (const auto &[name, lookup] : kCustom) {
      std::string v = custom_header(wsi, lookup);
      if (!v.empty()) out.emplace_back(name, std::move(v));
    }
    return out;
  }
  static QueryParams query_of(lws *wsi) {
    QueryParams q;
    char buf[8192];
    for (int n = 0;; ++n) {
      int len = lws_hdr_copy_fragment(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_URI_ARGS, n);
      if (len < 0) break;
      std::string frag(buf, static_cast<size_t>(len));
      size_t eq = frag.find('=');
      if (eq == std::string::npos) {
        q.emplace_back(frag, "");
      } else {
        q.emplace_back(frag.substr(0, eq), frag.substr(eq + 1));
      }
    }
    return q;
  }
  static std::string path_with_query(const std::string &path, const QueryParams &q) {
    std::string s = path;
    for (size_t i = 0; i < q.size(); ++i) s += (i ? "&" : "?") + q[i].first + "=" + q[i].second;
    return s;
  }
  // Deepgram accepts "Token <key>" and "Bearer <jwt>"; OpenAI only "Bearer <key>".
  bool auth_ok(const std::string &authz, bool deepgram) const {
    if (opts.api_key.empty()) return true;
    if (authz == "Bearer " + opts.api_key) return true;
    return deepgram && authz == "Token " + opts.api_key;
  }

  // ---- raw HTTP responses (handshake refusals) ----------------------------------
  // Writes a complete HTTP response directly (used while the ws upgrade is still HTTP).
  static int write_http_response(lws *wsi, int status, const std::string &content_type,
                                 const std::string &body,
                                 const std::vector<std::pair<std::string, std::string>> &headers) {
    // Built by hand: lws would label a response written this early "HTTP/1.0", which strict
    // clients (python websockets) refuse.
    std::string r =
        fmt::format("HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n",
                    status, reason_phrase(status), content_type, body.size());
    for (const auto &[name, value] : headers) r += name + ": " + value + "\r\n";
    r += "\r\n";
    r += body;
    return write_all(wsi, r, LWS_WRITE_HTTP) ? 0 : -1;
  }

  static const char *reason_phrase(int status) {
    switch (status) {
      case 400: return "Bad Request";
      case 401: return "Unauthorized";
      case 402: return "Payment Required";
      case 403: return "Forbidden";
      case 404: return "Not Found";
      case 408: return "Request Timeout";
      case 409: return "Conflict";
      case 429: return "Too Many Requests";
      case 500: return "Internal Server Error";
      case 502: return "Bad Gateway";
      case 503: return "Service Unavailable";
      case 504: return "Gateway Timeout";
      default: return status < 500 ? "Client Error" : "Server Error";
    }
  }

  // ---- websocket -------------------------------------------------------------------
  int on_confirm_upgrade(lws *wsi) {
    std::string path = header(wsi, WSI_TOKEN_GET_URI);
    QueryParams query = query_of(wsi);
    RecordedMessage hs;
    hs.direction = "in";
    hs.kind = "handshake";
    hs.path = path_with_query(path, query);
    hs.payload = hs.path;
    hs.headers = headers_of(wsi);
    hs.connection_id = next_id++;
    std::string endpoint = endpoint_for_ws(path);
    hs.endpoint = endpoint.empty() ? "other" : endpoint;
    const std::string request_id = fmt::format("00000000-0000-4000-8000-{:012x}", hs.connection_id);
    std::vector<std::pair<std::string, std::string>> dg_headers = {{"dg-request-id", request_id}};
    auto refuse = [&](int status, const std::string &error, const std::string &body) {
      std::vector<std::pair<std::string, std::string>> h = dg_headers;
      if (!error.empty()) h.emplace_back("dg-error", error);
      hs.status = status;
      record(hs);
      RecordedMessage out;
      out.endpoint = hs.endpoint;
      out.direction = "out";
      out.kind = "http_response";
      out.payload = body;
      out.status = status;
      out.connection_id = hs.connection_id;
      record(std::move(out));
      write_http_response(wsi, status, "application/json", body, h);
      return -1;  // hang up after the response (see README: lws then closes the socket)
    };
    if (endpoint.empty()) {
      return refuse(404, "unknown path",
                    fmt::format(R"({{"err_code":"NOT_FOUND","err_msg":"No such path: {}"}})", path));
    }
    std::vector<const Fault *> faults;
    auto sc = begin(endpoint, faults);
    for (const Fault *f : faults) {
      if (f->type == FaultType::kStatus) {
        std::string body = f->body;
        std::string err = fmt::format("voxline-sim scripted status {}", f->status);
        if (body.empty()) {
          body = fmt::format(R"({{"err_code":"{}","err_msg":"{}","request_id":"{}"}})",
                             f->status == 401   ? "INVALID_AUTH"
                             : f->status == 403 ? "INSUFFICIENT_PERMISSIONS"
                             : f->status == 429 ? "TOO_MANY_REQUESTS"
                                                : "SIM_ERROR",
                             err, request_id);
        }
        if (f->retry_after) dg_headers.emplace_back("retry-after", *f->retry_after);
        return refuse(f->status, err, body);
      }
    }
    const bool need_auth = endpoint != "echo" || sc->echo_require_auth;
    if (need_auth && !auth_ok(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION), true)) {
      return refuse(
          401, "Invalid credentials.",
          fmt::format(R"({{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"{}"}})",
                      request_id));
    }
    SessionOrReject made;
    if (endpoint == "echo") {
      made = make_echo_session();
    } else if (endpoint == "stt") {
      made = make_stt_session(query, sc, request_id);
    } else {
      bool never_flushed = std::any_of(faults.begin(), faults.end(),
                                       [](const Fault *f) { return f->type == FaultType::kNeverFlushed; });
      made = make_tts_session(query, sc, request_id, never_flushed);
    }
    if (!made.session) {
      return refuse(made.status, made.error,
                    fmt::format(R"({{"err_code":"Bad Request","err_msg":{},"request_id":"{}"}})",
                                json::quote(made.error), request_id));
    }
    hs.status = 101;
    record(hs);
    PendingUpgrade pu;
    pu.endpoint = endpoint;
    pu.id = hs.connection_id;
    pu.scenario = sc;
    pu.faults = std::move(faults);
    pu.session = std::move(made.session);
    pending[wsi] = std::move(pu);
    return 0;
  }

  int on_add_headers(lws *wsi, void *in) {
    auto it = pending.find(wsi);
    if (it == pending.end()) return 0;
    auto *args = static_cast<lws_process_html_args *>(in);
    auto headers = it->second.session->response_headers();
    for (const auto &[name, value] : headers) {
      std::string n = name + ":";
      unsigned char *p = reinterpret_cast<unsigned char *>(args->p);
      if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char *>(n.c_str()),
                                      reinterpret_cast<const unsigned char *>(value.data()),
                                      static_cast<int>(value.size()), &p,
                                      reinterpret_cast<unsigned char *>(args->p) + args->max_len))
        return 1;
      args->max_len -= static_cast<int>(reinterpret_cast<char *>(p) - args->p);
      args->p = reinterpret_cast<char *>(p);
    }
    return 0;
  }

  int on_established(lws *wsi) {
    auto it = pending.find(wsi);
    if (it == pending.end()) return -1;
    auto c = std::make_unique<WsConn>();
    c->impl = this;
    c->wsi = wsi;
    c->id = it->second.id;
    c->endpoint = it->second.endpoint;
    c->scenario = std::move(it->second.scenario);
    c->faults = std::move(it->second.faults);
    c->fault_done.assign(c->faults.size(), false);
    c->session = std::move(it->second.session);
    c->opened_ms = now_ms();
    c->timer.owner = c.get();
    pending.erase(it);
    WsConn *raw = c.get();
    conns[wsi] = std::move(c);
    open++;
    raw->session->now_ms = raw->opened_ms;
    raw->session->on_open();
    pump_ws(*raw);
    return 0;
  }

  int on_ws_receive(lws *wsi, const void *in, size_t len) {
    auto it = conns.find(wsi);
    if (it == conns.end()) return -1;
    auto &c = static_cast<WsConn &>(*it->second);
    if (c.rx.empty()) c.rx_binary = lws_frame_is_binary(wsi) != 0;
    if (c.rx.size() + len > kMaxBody) {
      lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                       reinterpret_cast<unsigned char *>(const_cast<char *>("BIG-0000 message too large")),
                       26);
      return -1;
    }
    c.rx.append(static_cast<const char *>(in), len);
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) return 0;
    std::string msg;
    msg.swap(c.rx);
    RecordedMessage m;
    m.endpoint = c.endpoint;
    m.direction = "in";
    m.kind = c.rx_binary ? "binary" : "text";
    m.payload = msg;
    m.connection_id = c.id;
    record(std::move(m));
    if (c.session->finished) return 0;
    c.session->now_ms = now_ms();
    c.session->on_message(c.rx_binary, msg);
    pump_ws(c);
    return 0;
  }

  // Decides what happens next on a websocket: runs due session timers and time-based faults,
  // asks for a writeable callback when a frame is due, else arms the timer for the next event.
  void pump_ws(WsConn &c) {
    const int64_t now = now_ms();
    c.session->now_ms = now;
    for (int guard = 0; guard < 64; ++guard) {
      int64_t w = c.session->wakeup_ms();
      if (w < 0 || w > now) break;
      c.session->on_timer();
    }
    int64_t next = -1;
    auto consider = [&](int64_t t) {
      if (t >= 0 && (next < 0 || t < next)) next = t;
    };
    for (size_t i = 0; i < c.faults.size(); ++i) {
      const Fault &f = *c.faults[i];
      if (c.fault_done[i] || !f.after_ms) continue;
      if (f.type != FaultType::kDrop && f.type != FaultType::kClose) continue;
      int64_t at = c.opened_ms + *f.after_ms;
      if (at <= now) {
        c.fault_done[i] = true;
        if (f.type == FaultType::kDrop) {
          c.kill = true;
        } else {
          c.close_now = true;
          c.pending_close = {OutFrame::Kind::kClose,
                             f.close_reason.empty() ? default_close_reason(f.close_code) : f.close_reason,
                             f.close_code,
                             now,
                             {}};
        }
      } else {
        consider(at);
      }
    }
    bool want_write = c.kill || c.close_now;
    // Count-based drop/close/malformed faults fire as soon as their count is reached, even
    // when nothing else is queued (after_messages 0 = right after the handshake).
    for (size_t i = 0; i < c.faults.size() && !want_write; ++i) {
      const Fault &f = *c.faults[i];
      if (c.fault_done[i] || f.after_ms) continue;
      if (f.type != FaultType::kDrop && f.type != FaultType::kClose && f.type != FaultType::kMalformedJson)
        continue;
      if (c.sent >= f.after_messages.value_or(0)) want_write = true;
    }
    if (!want_write && !c.session->out.empty()) {
      int64_t due = std::max(c.session->out.front().due_ms, c.stall_until);
      if (due <= now) {
        want_write = true;
      } else {
        consider(due);
      }
    }
    consider(c.session->wakeup_ms());
    if (want_write) lws_callback_on_writable(c.wsi);
    if (next >= 0) {
      lws_sul_schedule(ctx, 0, &c.timer.sul, &Impl::on_timer, std::max<int64_t>(0, next - now) * 1000 + 500);
    } else {
      lws_sul_cancel(&c.timer.sul);
    }
  }

  static void on_timer(lws_sorted_usec_list_t *sul) {
    auto *hook = reinterpret_cast<TimerHook *>(sul);
    Conn *c = hook->owner;
    if (auto *ws = dynamic_cast<WsConn *>(c)) {
      c->impl->pump_ws(*ws);
    } else if (auto *h = dynamic_cast<HttpConn *>(c)) {
      lws_callback_on_writable(h->wsi);
    }
  }

  static std::string default_close_reason(int code) {
    if (code == 1011)
      return "Deepgram did not provide a response message within the timeout window. See "
             "https://dpgr.am/net0000";
    if (code == 1008)
      return "DATA-0000: The payload cannot be decoded as audio. See https://dpgr.am/data0000";
    return "voxline-sim scripted close";
  }

  // Records before writing, so a client that saw a message always finds it in recorded().
  int write_ws(WsConn &c, OutFrame::Kind kind, const std::string &payload) {
    RecordedMessage m;
    m.endpoint = c.endpoint;
    m.direction = "out";
    m.kind = kind == OutFrame::Kind::kBinary ? "binary" : "text";
    m.payload = payload;
    m.connection_id = c.id;
    record(std::move(m));
    if (!write_all(c.wsi, payload, kind == OutFrame::Kind::kBinary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT))
      return -1;
    return 0;
  }

  int close_ws(WsConn &c, int code, std::string reason) {
    if (reason.size() > 123) reason.resize(123);
    RecordedMessage m;
    m.endpoint = c.endpoint;
    m.direction = "out";
    m.kind = "close";
    m.payload = fmt::format("{} {}", code, reason);
    m.status = code;
    m.connection_id = c.id;
    record(std::move(m));
    lws_close_reason(c.wsi, static_cast<lws_close_status>(code),
                     reinterpret_cast<unsigned char *>(reason.data()), reason.size());
    return -1;
  }

  int drop(Conn &c) {
    record_simple(c, "out", "drop", "");
    // A real cut: no close frame, no final chunk. shutdown() makes lws' own close attempt fail.
    int fd = lws_get_socket_fd(c.wsi);
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    return -1;
  }

  int on_ws_writeable(lws *wsi) {
    auto it = conns.find(wsi);
    if (it == conns.end()) return 0;
    auto &c = static_cast<WsConn &>(*it->second);
    const int64_t now = now_ms();
    if (c.kill) return drop(c);
    if (c.close_now) return close_ws(c, c.pending_close.close_code, c.pending_close.payload);
    // Message-count faults fire before message number after_messages + 1.
    for (size_t i = 0; i < c.faults.size(); ++i) {
      const Fault &f = *c.faults[i];
      if (c.fault_done[i]) continue;
      if (f.after_ms && (f.type == FaultType::kDrop || f.type == FaultType::kClose)) continue;
      if (c.sent < f.after_messages.value_or(0)) continue;
      switch (f.type) {
        case FaultType::kDrop: c.fault_done[i] = true; return drop(c);
        case FaultType::kClose:
          c.fault_done[i] = true;
          return close_ws(c, f.close_code,
                          f.close_reason.empty() ? default_close_reason(f.close_code) : f.close_reason);
        case FaultType::kStall:
          c.fault_done[i] = true;
          c.stall_until = now + f.stall_ms;
          pump_ws(c);
          return 0;
        case FaultType::kMalformedJson: {
          c.fault_done[i] = true;
          if (write_ws(c, OutFrame::Kind::kText,
                       R"({"type":"Results","channel_index":[0,1],"is_final":tr)") != 0)
            return -1;
          pump_ws(c);
          return 0;
        }
        default: break;
      }
    }
    if (c.session->out.empty()) return 0;
    OutFrame &f = c.session->out.front();
    if (std::max(f.due_ms, c.stall_until) > now) {
      pump_ws(c);
      return 0;
    }
    if (f.kind == OutFrame::Kind::kClose) return close_ws(c, f.close_code, f.payload);
    OutFrame frame = std::move(f);
    c.session->out.pop_front();
    if (write_ws(c, frame.kind, frame.payload) != 0) return -1;
    c.sent++;
    pump_ws(c);
    return 0;
  }

  void on_peer_close(lws *wsi, const void *in, size_t len) {
    auto it = conns.find(wsi);
    if (it == conns.end()) return;
    const auto *b = static_cast<const unsigned char *>(in);
    int code = len >= 2 ? (b[0] << 8 | b[1]) : 1005;
    std::string reason = len > 2 ? std::string(reinterpret_cast<const char *>(b) + 2, len - 2) : "";
    RecordedMessage m;
    m.endpoint = it->second->endpoint;
    m.direction = "in";
    m.kind = "close";
    m.payload = fmt::format("{} {}", code, reason);
    m.status = code;
    m.connection_id = it->second->id;
    record(std::move(m));
  }

  void forget(lws *wsi) {
    pending.erase(wsi);
    auto it = conns.find(wsi);
    if (it == conns.end()) return;
    if (auto *h = dynamic_cast<HttpConn *>(it->second.get())) {
      if (h->counted) open--;
    } else {
      open--;
    }
    conns.erase(it);
  }

  // ---- HTTP ---------------------------------------------------------------------
  int on_http(lws *wsi, const char *uri) {
    forget(wsi);  // a keep-alive connection starts a new request
    auto c = std::make_unique<HttpConn>();
    c->impl = this;
    c->wsi = wsi;
    c->id = next_id++;
    c->timer.owner = c.get();
    c->path = uri != nullptr ? uri : "";
    c->method = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0 ? "POST" : "GET";
    QueryParams q = query_of(wsi);
    c->path = path_with_query(header(wsi, c->method == "POST" ? WSI_TOKEN_POST_URI : WSI_TOKEN_GET_URI), q);
    c->headers = headers_of(wsi);
    c->endpoint =
        endpoint_for_http(header(wsi, c->method == "POST" ? WSI_TOKEN_POST_URI : WSI_TOKEN_GET_URI));
    c->counted = true;
    open++;
    HttpConn *raw = c.get();
    conns[wsi] = std::move(c);
    // lws 4.1 does not answer "Expect: 100-continue"; without this curl waits 1 s before
    // sending bodies over its threshold.
    if (lower_copy(header(wsi, WSI_TOKEN_HTTP_EXPECT)) == "100-continue" &&
        !write_all(wsi, "HTTP/1.1 100 Continue\r\n\r\n", LWS_WRITE_HTTP))
      return -1;
    std::string cl = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (raw->method != "POST" || cl.empty() || cl == "0") return respond(*raw);
    return 0;
  }

  int on_http_body(lws *wsi, const void *in, size_t len) {
    auto it = conns.find(wsi);
    if (it == conns.end()) return -1;
    auto &c = static_cast<HttpConn &>(*it->second);
    if (c.body.size() + len > kMaxBody) return -1;
    c.body.append(static_cast<const char *>(in), len);
    return 0;
  }

  int on_http_body_done(lws *wsi) {
    auto it = conns.find(wsi);
    if (it == conns.end()) return -1;
    return respond(static_cast<HttpConn &>(*it->second));
  }

  int respond(HttpConn &c) {
    RecordedMessage req;
    req.endpoint = c.endpoint;
    req.direction = "in";
    req.kind = "http_request";
    req.payload = c.body;
    req.path = c.path;
    req.headers = c.headers;
    req.connection_id = c.id;
    record(std::move(req));
    std::string authz;
    for (const auto &[k, v] : c.headers)
      if (k == "authorization") authz = v;
    if (c.endpoint == "other") {
      c.plan = fixed_response(
          404, openai_error_body("Unknown request URL: " + c.path, "invalid_request_error", "unknown_url"));
    } else if (c.method != "POST") {
      c.plan = fixed_response(
          405, openai_error_body("Method not allowed; use POST.", "invalid_request_error", ""));
    } else {
      std::vector<const Fault *> faults;
      c.scenario = begin(c.endpoint, faults);
      c.faults = faults;
      const Fault *status_fault = nullptr;
      for (const Fault *f : faults)
        if (f->type == FaultType::kStatus) status_fault = f;
      const bool need_auth = c.endpoint == "llm" || c.scenario->sse.require_auth;
      if (status_fault != nullptr) {
        c.plan = status_fault_response(*status_fault);
      } else if (need_auth && authz.empty() && !opts.api_key.empty()) {
        c.plan = fixed_response(
            401,
            openai_error_body("You didn't provide an API key. You need to provide your API key in an "
                              "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                              "invalid_request_error", ""));
      } else if (need_auth && !auth_ok(authz, false)) {
        c.plan =
            fixed_response(401, openai_error_body("Incorrect API key provided. You can find your API key at "
                                                  "https://platform.openai.com/account/api-keys.",
                                                  "invalid_request_error", "invalid_api_key"));
      } else if (c.endpoint == "llm") {
        LlmRequestContext rc;
        rc.request_index = request_index_of("llm");
        rc.serial = llm_serial++;
        rc.created = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
        c.plan = build_llm_response(c.body, c.scenario->llm, faults, rc);
      } else {
        c.plan = build_sse_response(c.body, *c.scenario, faults);
      }
    }
    c.responding = true;
    c.response_start_ms = now_ms();
    lws_callback_on_writable(c.wsi);
    return 0;
  }

  static HttpPlan build_sse_response(const std::string &body, const Scenario &sc,
                                     const std::vector<const Fault *> &faults) {
    SseScript script = sc.sse;
    bool crlf = false;
    if (body.find_first_not_of(" \t\r\n") != std::string::npos) {
      auto parsed = parse_sse_script(body, "body");
      if (!parsed.ok())
        return fixed_response(400, openai_error_body(parsed.status().message(), "invalid_request_error", ""));
      if (!parsed->events.empty()) script.events = parsed->events;
      script.status = parsed->status;
      if (parsed->split_event_bytes > 0) script.split_event_bytes = parsed->split_event_bytes;
      crlf = body.find("\"crlf\":true") != std::string::npos;
    }
    HttpPlan plan;
    plan.status = script.status;
    plan.content_type = "text/event-stream";
    plan.chunked = true;
    plan.split_bytes = static_cast<size_t>(script.split_event_bytes);
    plan.headers.emplace_back("cache-control", "no-cache");
    int64_t t = 0;
    for (const auto &e : script.events) {
      t += e.delay_ms;
      plan.steps.push_back({t, e.raw, true});
    }
    apply_stream_faults(plan, faults, crlf);
    return plan;
  }

  int on_http_writeable(lws *wsi) {
    auto it = conns.find(wsi);
    if (it == conns.end()) return 0;
    auto &c = static_cast<HttpConn &>(*it->second);
    if (!c.responding || c.done) return 0;
    const HttpPlan &plan = c.plan;
    if (!c.headers_sent) {
      c.headers_sent = true;
      std::vector<unsigned char> buf(LWS_PRE + 8192);
      unsigned char *start = buf.data() + LWS_PRE, *p = start, *end = buf.data() + buf.size() - 1;
      if (lws_add_http_header_status(wsi, static_cast<unsigned int>(plan.status), &p, end)) return -1;
      if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                       reinterpret_cast<const unsigned char *>(plan.content_type.data()),
                                       static_cast<int>(plan.content_type.size()), &p, end))
        return -1;
      std::vector<std::pair<std::string, std::string>> headers = plan.headers;
      if (plan.chunked) {
        headers.emplace_back("transfer-encoding", "chunked");
      } else {
        headers.emplace_back("content-length", std::to_string(plan.body.size()));
      }
      for (const auto &[name, value] : headers) {
        std::string n = name + ":";
        if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char *>(n.c_str()),
                                        reinterpret_cast<const unsigned char *>(value.data()),
                                        static_cast<int>(value.size()), &p, end))
          return -1;
      }
      if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
      RecordedMessage m;
      m.endpoint = c.endpoint;
      m.direction = "out";
      m.kind = "http_response";
      m.payload = plan.chunked ? "" : plan.body;
      m.status = plan.status;
      m.headers = plan.headers;
      m.connection_id = c.id;
      record(std::move(m));
      schedule_http(c);
      return 0;
    }
    const int64_t elapsed = now_ms() - c.response_start_ms;
    if (c.next_step < plan.steps.size()) {
      const HttpStep &s = plan.steps[c.next_step];
      if (s.at_ms > elapsed) {
        schedule_http(c);
        return 0;
      }
      if (c.step_offset == 0 && plan.chunked && s.is_event) record_simple(c, "out", "text", s.data);
      std::string_view piece = std::string_view(s.data).substr(c.step_offset);
      const bool partial = plan.chunked && plan.split_bytes > 0 && piece.size() > plan.split_bytes;
      if (partial) piece = piece.substr(0, plan.split_bytes);
      // An empty chunk would end the body, so empty steps write nothing.
      std::string data = plan.chunked && !piece.empty() ? fmt::format("{:x}\r\n{}\r\n", piece.size(), piece)
                                                        : std::string(piece);
      if (partial) {
        c.step_offset += piece.size();
        if (!write_all(wsi, data, LWS_WRITE_HTTP)) return -1;
        lws_callback_on_writable(wsi);
        return 0;
      }
      c.step_offset = 0;
      c.next_step++;
      // The last bytes and the end of the transaction go together: once the client has the
      // whole body it may send its next request, which lws would otherwise read as more body.
      const bool last = c.next_step == plan.steps.size() && plan.end == HttpEnd::kComplete;
      if (last && plan.chunked) data += "0\r\n\r\n";
      if (!data.empty() && !write_all(wsi, data, LWS_WRITE_HTTP)) return -1;
      if (last) return finish_http(c);
      schedule_http(c);
      return 0;
    }
    if (plan.end == HttpEnd::kDrop) {
      if (plan.drop_at_ms > elapsed) {
        schedule_http(c);
        return 0;
      }
      c.done = true;
      return drop(c);
    }
    if (plan.chunked && !write_all(wsi, "0\r\n\r\n", LWS_WRITE_HTTP)) return -1;
    return finish_http(c);
  }

  int finish_http(HttpConn &c) {
    c.done = true;
    if (c.counted) {
      c.counted = false;
      open--;
    }
    return lws_http_transaction_completed(c.wsi) ? -1 : 0;
  }

  void schedule_http(HttpConn &c) {
    const int64_t elapsed = now_ms() - c.response_start_ms;
    int64_t due;
    if (c.next_step < c.plan.steps.size()) {
      due = c.plan.steps[c.next_step].at_ms;
    } else if (c.plan.end == HttpEnd::kDrop) {
      due = c.plan.drop_at_ms;
    } else {
      due = 0;
    }
    if (due <= elapsed) {
      lws_callback_on_writable(c.wsi);
    } else {
      lws_sul_schedule(ctx, 0, &c.timer.sul, &Impl::on_timer, (due - elapsed) * 1000 + 500);
    }
  }

  // ---- dispatch -------------------------------------------------------------------
  static int callback(lws *wsi, lws_callback_reasons reason, void *user, void *in, size_t len) {
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
};

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
  impl->scenario = *sc;
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
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->scenario = *sc;
  impl_->counters.clear();
  return Status::Ok();
}

std::vector<RecordedMessage> Simulator::recorded() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return {impl_->records.begin(), impl_->records.end()};
}

uint64_t Simulator::recorded_dropped() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->records_dropped;
}

std::vector<RecordedMessage> Simulator::recorded(std::string_view endpoint) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<RecordedMessage> out;
  for (const auto &m : impl_->records)
    if (m.endpoint == endpoint) out.push_back(m);
  return out;
}

void Simulator::clear_recorded() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->records.clear();
}

size_t Simulator::open_connections() const {
  return impl_->open.load();
}

uint64_t Simulator::accepted(std::string_view endpoint) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->accepted.find(endpoint);
  return it == impl_->accepted.end() ? 0 : it->second;
}

}  // namespace voxline::sim
