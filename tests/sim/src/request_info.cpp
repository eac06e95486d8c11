// Reading requests (headers, query arguments, credentials) and writing complete raw HTTP
// responses while a websocket upgrade is still plain HTTP.
#include "sim/src/sim_impl.hpp"

#include <fmt/format.h>

namespace voxline::sim {

using namespace detail;  // NOLINT(google-build-using-namespace): internal glue

std::string Simulator::Impl::header(lws *wsi, lws_token_indexes tok) {
  int len = lws_hdr_total_length(wsi, tok);
  if (len <= 0) return {};
  std::string s(static_cast<size_t>(len) + 1, '\0');
  int n = lws_hdr_copy(wsi, s.data(), len + 1, tok);
  if (n < 0) return {};
  s.resize(static_cast<size_t>(n));
  return s;
}

std::string Simulator::Impl::custom_header(lws *wsi, const char *name_colon) {
  int nlen = static_cast<int>(std::strlen(name_colon));
  int len = lws_hdr_custom_length(wsi, name_colon, nlen);
  if (len <= 0) return {};
  std::string s(static_cast<size_t>(len) + 1, '\0');
  int n = lws_hdr_custom_copy(wsi, s.data(), len + 1, name_colon, nlen);
  if (n < 0) return {};
  s.resize(static_cast<size_t>(n));
  return s;
}

std::vector<std::pair<std::string, std::string>> Simulator::Impl::headers_of(lws *wsi) {
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

QueryParams Simulator::Impl::query_of(lws *wsi) {
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

std::string Simulator::Impl::path_with_query(const std::string &path, const QueryParams &q) {
  std::string s = path;
  for (size_t i = 0; i < q.size(); ++i) s += (i ? "&" : "?") + q[i].first + "=" + q[i].second;
  return s;
}

// Deepgram takes an API key only as "Token <key>"; "Bearer" is for its temporary JWTs, so a key
// sent as Bearer is refused (401) as Deepgram refuses it. OpenAI takes only "Bearer <key>".
bool Simulator::Impl::auth_ok(const std::string &authz, AuthScheme scheme) const {
  if (opts.api_key.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  switch (scheme) {
    case AuthScheme::kDeepgram:
      if (authz == "Token " + opts.api_key) return true;
      return authz.rfind(kBearer, 0) == 0 &&
             grants.valid(std::string_view(authz).substr(kBearer.size()), now_ms());
    case AuthScheme::kOpenAi: return authz == "Bearer " + opts.api_key;
    case AuthScheme::kAnyKey: return authz == "Token " + opts.api_key || authz == "Bearer " + opts.api_key;
  }
  return false;
}

// Writes a complete HTTP response directly (used while the ws upgrade is still HTTP).
int Simulator::Impl::write_http_response(lws *wsi, int status, const std::string &content_type,
                                         const std::string &body,
                                         const std::vector<std::pair<std::string, std::string>> &headers) {
  // Built by hand: lws would label a response written this early "HTTP/1.0", which strict
  // clients (python websockets) refuse.
  std::string r =
      fmt::format("HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n", status,
                  reason_phrase(status), content_type, body.size());
  for (const auto &[name, value] : headers) r += name + ": " + value + "\r\n";
  r += "\r\n";
  r += body;
  return write_all(wsi, r, LWS_WRITE_HTTP) ? 0 : -1;
}

const char *Simulator::Impl::reason_phrase(int status) {
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

}  // namespace voxline::sim
