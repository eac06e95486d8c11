// Websocket side of the glue: upgrade validation and refusal, WsSession playback with pacing
// timers, and the websocket faults (drop, close, stall, malformed JSON).
#include "sim/src/sim_impl.hpp"

#include <sys/socket.h>

#include <fmt/format.h>

#include "voxline/core/json.hpp"

namespace voxline::sim {

using namespace detail;  // NOLINT(google-build-using-namespace): internal glue

int Simulator::Impl::on_confirm_upgrade(lws *wsi) {
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
  const AuthScheme scheme = endpoint == "echo" ? AuthScheme::kAnyKey : AuthScheme::kDeepgram;
  if (need_auth && !auth_ok(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION), scheme)) {
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

int Simulator::Impl::on_add_headers(lws *wsi, void *in) {
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

int Simulator::Impl::on_established(lws *wsi) {
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

int Simulator::Impl::on_ws_receive(lws *wsi, const void *in, size_t len) {
  auto it = conns.find(wsi);
  if (it == conns.end()) return -1;
  auto &c = static_cast<WsConn &>(*it->second);
  if (c.cut) return 0;  // input after a cut is discarded
  if (c.rx.empty()) c.rx_binary = lws_frame_is_binary(wsi) != 0;
  if (c.rx.size() + len > kMaxBody) {
    lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                     reinterpret_cast<unsigned char *>(const_cast<char *>("BIG-0000 message too large")), 26);
    return -1;
  }
  c.rx.append(static_cast<const char *>(in), len);
  if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) return 0;
  std::string msg;
  msg.swap(c.rx);
  if (recording()) {
    RecordedMessage m;
    m.endpoint = c.endpoint;
    m.direction = "in";
    m.kind = c.rx_binary ? "binary" : "text";
    m.payload = msg;
    m.connection_id = c.id;
    record(std::move(m));
  }
  if (c.session->finished) return 0;
  c.session->now_ms = now_ms();
  c.session->on_message(c.rx_binary, msg);
  pump_ws(c);
  return 0;
}

// Decides what happens next on a websocket: runs due session timers and time-based faults,
// asks for a writeable callback when a frame is due, else arms the timer for the next event.
void Simulator::Impl::pump_ws(WsConn &c) {
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
  account_queue(c);
  if (want_write) lws_callback_on_writable(c.wsi);
  if (next >= 0) {
    lws_sul_schedule(ctx, 0, &c.timer.sul, &Impl::on_timer, std::max<int64_t>(0, next - now) * 1000 + 500);
  } else {
    lws_sul_cancel(&c.timer.sul);
  }
}

void Simulator::Impl::account_queue(WsConn &c) {
  size_t bytes = 0;
  for (const OutFrame &f : c.session->out) bytes += f.payload.size();
  queued_bytes += bytes;
  queued_bytes -= c.queued_bytes;
  c.queued_bytes = bytes;
  if (!c.rx_paused && bytes > kPauseBytes) {
    c.rx_paused = true;
    lws_rx_flow_control(c.wsi, 0);
  } else if (c.rx_paused && bytes <= kResumeBytes) {
    c.rx_paused = false;
    lws_rx_flow_control(c.wsi, 1);
  }
}

void Simulator::Impl::on_timer(lws_sorted_usec_list_t *sul) {
  auto *hook = reinterpret_cast<TimerHook *>(sul);
  Conn *c = hook->owner;
  if (auto *ws = dynamic_cast<WsConn *>(c)) {
    c->impl->pump_ws(*ws);
  } else if (auto *h = dynamic_cast<HttpConn *>(c)) {
    lws_callback_on_writable(h->wsi);
  }
}

std::string Simulator::Impl::default_close_reason(int code) {
  if (code == 1011)
    return "Deepgram did not provide a response message within the timeout window. See "
           "https://dpgr.am/net0000";
  if (code == 1008) return "DATA-0000: The payload cannot be decoded as audio. See https://dpgr.am/data0000";
  return "voxline-sim scripted close";
}

// Records before writing, so a client that saw a message always finds it in recorded().
int Simulator::Impl::write_ws(WsConn &c, OutFrame::Kind kind, const std::string &payload) {
  if (recording()) {
    RecordedMessage m;
    m.endpoint = c.endpoint;
    m.direction = "out";
    m.kind = kind == OutFrame::Kind::kBinary ? "binary" : "text";
    m.payload = payload;
    m.connection_id = c.id;
    record(std::move(m));
  }
  if (!write_all(c.wsi, payload, kind == OutFrame::Kind::kBinary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT))
    return -1;
  return 0;
}

int Simulator::Impl::close_ws(WsConn &c, int code, std::string reason) {
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

int Simulator::Impl::drop(Conn &c) {
  record_simple(c, "out", "drop", "");
  // A real cut: no close frame, no final chunk. shutdown() makes lws' own close attempt fail.
  int fd = lws_get_socket_fd(c.wsi);
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  return -1;
}

// A websocket cut: no close frame. Only the write side is shut, so a FIN follows the frames
// already written; input is discarded until the client closes, or for at most 1 s. Closing the socket at once
// with unread input would make the kernel answer with RST, which can destroy frames the client has not read
// yet (libuv reports the error before the data), so "messages before the drop" would race.
int Simulator::Impl::cut_ws(WsConn &c) {
  if (c.cut) return 0;
  record_simple(c, "out", "drop", "");
  c.cut = true;
  const int fd = lws_get_socket_fd(c.wsi);
  if (fd >= 0) ::shutdown(fd, SHUT_WR);
  if (c.rx_paused) lws_rx_flow_control(c.wsi, 1);      // so the client's FIN is read
  lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, 1);  // then the socket goes, read or not
  return 0;
}

int Simulator::Impl::on_ws_writeable(lws *wsi) {
  auto it = conns.find(wsi);
  if (it == conns.end()) return 0;
  auto &c = static_cast<WsConn &>(*it->second);
  if (c.cut) return 0;
  const int64_t now = now_ms();
  if (c.kill) return cut_ws(c);
  if (c.close_now) return close_ws(c, c.pending_close.close_code, c.pending_close.payload);
  // Message-count faults fire before message number after_messages + 1.
  for (size_t i = 0; i < c.faults.size(); ++i) {
    const Fault &f = *c.faults[i];
    if (c.fault_done[i]) continue;
    if (f.after_ms && (f.type == FaultType::kDrop || f.type == FaultType::kClose)) continue;
    if (c.sent < f.after_messages.value_or(0)) continue;
    switch (f.type) {
      case FaultType::kDrop: c.fault_done[i] = true; return cut_ws(c);
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
        if (write_ws(c, OutFrame::Kind::kText, R"({"type":"Results","channel_index":[0,1],"is_final":tr)") !=
            0)
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
  if (f.kind == OutFrame::Kind::kDrop) return cut_ws(c);
  OutFrame frame = std::move(f);
  c.session->out.pop_front();
  if (write_ws(c, frame.kind, frame.payload) != 0) return -1;
  c.sent++;
  pump_ws(c);
  return 0;
}

void Simulator::Impl::on_peer_close(lws *wsi, const void *in, size_t len) {
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

}  // namespace voxline::sim
