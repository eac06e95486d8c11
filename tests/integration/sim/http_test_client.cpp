// libcurl easy POST with chunk timing, for the simulator's own tests.
#include "integration/sim/http_test_client.hpp"

#include <curl/curl.h>

#include <cctype>
#include <chrono>
#include <mutex>

namespace voxline::simtest {
namespace {

struct Ctx {
  HttpResult *r;
  std::chrono::steady_clock::time_point t0;
};

size_t on_body(char *p, size_t size, size_t n, void *ud) {
  auto *c = static_cast<Ctx *>(ud);
  c->r->body.append(p, size * n);
  c->r->chunks.push_back({std::string(p, size * n), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        std::chrono::steady_clock::now() - c->t0)
                                                        .count()});
  return size * n;
}

size_t on_header(char *p, size_t size, size_t n, void *ud) {
  auto *c = static_cast<Ctx *>(ud);
  std::string line(p, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char &ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
    c->r->headers[name] = v;
  }
  return size * n;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpResult perform(CURL *h, const std::string &url, const std::string &body, const HttpOptions &opts) {
  HttpResult r;
  Ctx ctx{&r, std::chrono::steady_clock::now()};
  char err[CURL_ERROR_SIZE] = {0};
  curl_slist *hdrs = nullptr;
  for (const auto &[k, v] : opts.headers) hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &ctx);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, opts.timeout_ms);
  curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, opts.expect_100_timeout_ms);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
  if (!opts.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opts.ca_file.c_str());
  r.curl_code = curl_easy_perform(h);
  r.curl_error = err;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r.new_connections);
  r.total_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - ctx.t0)
          .count();
  curl_slist_free_all(hdrs);
  return r;
}

}  // namespace

HttpResult http_post(const std::string &url, const std::string &body, const HttpOptions &opts) {
  global_init();
  CURL *h = curl_easy_init();
  HttpResult r = perform(h, url, body, opts);
  curl_easy_cleanup(h);
  return r;
}

HttpSession::HttpSession() {
  global_init();
  handle_ = curl_easy_init();
}

HttpSession::~HttpSession() {
  curl_easy_cleanup(static_cast<CURL *>(handle_));
}

HttpResult HttpSession::post(const std::string &url, const std::string &body, const HttpOptions &opts) {
  return perform(static_cast<CURL *>(handle_), url, body, opts);
}

HttpOptions openai_headers(const std::string &key) {
  HttpOptions o;
  o.headers["Authorization"] = "Bearer " + key;
  o.headers["Content-Type"] = "application/json";
  return o;
}

std::vector<std::string> sse_data(const std::string &body) {
  std::vector<std::string> events;
  std::string data;
  bool has = false;
  size_t i = 0;
  while (i < body.size()) {
    size_t j = body.find('\n', i);
    if (j == std::string::npos) break;  // incomplete last line is not an event
    std::string line = body.substr(i, j - i);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    i = j + 1;
    if (line.empty()) {
      if (has) events.push_back(data);
      data.clear();
      has = false;
    } else if (line[0] == ':') {
      continue;
    } else if (line.rfind("data:", 0) == 0) {
      std::string v = line.substr(5);
      if (!v.empty() && v[0] == ' ') v.erase(0, 1);
      if (has) data += "\n";
      data += v;
      has = true;
    }
  }
  return events;
}

}  // namespace voxline::simtest
