// HTTP side of the glue: request bodies, endpoint dispatch (OpenAI, generic SSE), and playback
// of HttpPlans as fixed or chunked responses on keep-alive connections.
#include "sim/src/sim_impl.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "sim/src/llm.hpp"
#include "sim/src/tts_rest.hpp"
#include "voxline/core/json.hpp"

namespace voxline::sim {

using namespace detail;  // NOLINT(google-build-using-namespace): internal glue

int Simulator::Impl::on_http(lws *wsi, const char *uri) {
  forget(wsi);  // a keep-alive connection starts a new request
  auto c = std::make_unique<HttpConn>();
  c->impl = this;
  c->wsi = wsi;
  c->id = next_id++;
  c->timer.owner = c.get();
  c->path = uri != nullptr ? uri : "";
  const bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
  const bool head = !post && lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
  c->method = post ? "POST" : head ? "HEAD" : "GET";
  const lws_token_indexes uri_token = post   ? WSI_TOKEN_POST_URI
                                      : head ? WSI_TOKEN_HEAD_URI
                                             : WSI_TOKEN_GET_URI;
  QueryParams q = query_of(wsi);
  c->path = path_with_query(header(wsi, uri_token), q);
  c->query = q;
  c->headers = headers_of(wsi);
  c->endpoint = endpoint_for_http(header(wsi, uri_token));
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

int Simulator::Impl::on_http_body(lws *wsi, const void *in, size_t len) {
  auto it = conns.find(wsi);
  if (it == conns.end()) return -1;
  auto &c = static_cast<HttpConn &>(*it->second);
  if (c.body.size() + len > kMaxBody) return -1;
  c.body.append(static_cast<const char *>(in), len);
  return 0;
}

int Simulator::Impl::on_http_body_done(lws *wsi) {
  auto it = conns.find(wsi);
  if (it == conns.end()) return -1;
  return respond(static_cast<HttpConn &>(*it->second));
}

int Simulator::Impl::respond(HttpConn &c) {
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
  if (c.endpoint == "auth") {
    GrantRequest grant;
    grant.method = c.method;
    grant.authorization = authz;
    grant.body = c.body;
    const std::string request_id = fmt::format("00000000-0000-4000-8000-{:012x}", c.id);
    grant.request_id = request_id;
    grant.now_ms = now_ms();
    grant.unix_s =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    c.plan = grant_response(grant, opts.api_key, grants);
  } else if (c.endpoint == "other") {
    c.plan = fixed_response(
        404, openai_error_body("Unknown request URL: " + c.path, "invalid_request_error", "unknown_url"));
  } else if (c.method != "POST") {
    c.plan =
        fixed_response(405, openai_error_body("Method not allowed; use POST.", "invalid_request_error", ""));
  } else {
    std::vector<const Fault *> faults;
    int64_t index = 0;
    c.scenario = begin(c.endpoint, faults, &index);
    c.faults = faults;
    const Fault *status_fault = nullptr;
    for (const Fault *f : faults)
      if (f->type == FaultType::kStatus) status_fault = f;
    const bool need_auth = c.endpoint == "llm" || c.scenario->sse.require_auth;
    if (c.endpoint == "tts_rest") {
      c.plan = respond_tts_rest(c, authz, faults);
    } else if (status_fault != nullptr) {
      c.plan = status_fault_response(*status_fault);
    } else if (need_auth && authz.empty() && !opts.api_key.empty()) {
      c.plan = fixed_response(
          401,
          openai_error_body("You didn't provide an API key. You need to provide your API key in an "
                            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                            "invalid_request_error", ""));
    } else if (need_auth && !auth_ok(authz, AuthScheme::kOpenAi)) {
      c.plan =
          fixed_response(401, openai_error_body("Incorrect API key provided. You can find your API key at "
                                                "https://platform.openai.com/account/api-keys.",
                                                "invalid_request_error", "invalid_api_key"));
    } else if (c.endpoint == "llm") {
      LlmRequestContext rc;
      rc.request_index = index;
      rc.serial = llm_serial++;
      rc.created = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
      c.plan = build_llm_response(c.body, c.scenario->llm, faults, rc);
    } else {
      c.plan = build_sse_response(c.body, *c.scenario, faults);
    }
  }
  // OpenAI answers every request with an x-request-id, errors included: clients quote it.
  bool has_request_id = false;
  for (const auto &h : c.plan.headers) has_request_id = has_request_id || h.first == "x-request-id";
  if (!has_request_id && c.endpoint != "auth")
    c.plan.headers.emplace_back("x-request-id", fmt::format("req_sim{}", llm_serial++));
  c.responding = true;
  c.response_start_ms = now_ms();
  lws_callback_on_writable(c.wsi);
  return 0;
}

HttpPlan Simulator::Impl::respond_tts_rest(const HttpConn &c, const std::string &authz,
                                           const std::vector<const Fault *> &faults) {
  const std::string request_id = fmt::format("sim-tts-rest-{}", c.id);
  const bool status_fault =
      std::any_of(faults.begin(), faults.end(), [](const Fault *f) { return f->type == FaultType::kStatus; });
  if (!status_fault && !auth_ok(authz, AuthScheme::kDeepgram))  // a status fault wins over everything else
    return deepgram_error_response(401, "INVALID_AUTH", "Invalid credentials.", request_id);
  std::string content_type;
  for (const auto &[k, v] : c.headers)
    if (k == "content-type") content_type = v;
  return build_tts_rest_response(c.query, content_type, c.body, *c.scenario, faults, request_id);
}

HttpPlan Simulator::Impl::build_sse_response(const std::string &body, const Scenario &sc,
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

int Simulator::Impl::on_http_writeable(lws *wsi) {
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
    if (c.method == "HEAD") return finish_http(c);  // the head of what GET would get, no body
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
    if (c.step_offset == 0 && plan.chunked && s.is_event && recording())
      record_simple(c, "out", plan.binary ? "binary" : "text", s.data);
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

int Simulator::Impl::finish_http(HttpConn &c) {
  c.done = true;
  if (c.counted) {
    c.counted = false;
    open--;
  }
  return lws_http_transaction_completed(c.wsi) ? -1 : 0;
}

void Simulator::Impl::schedule_http(HttpConn &c) {
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

}  // namespace voxline::sim
