// libcurl easy POST with chunk timing, for the simulator's own tests.
#include "http_test_client.hpp"

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

}  // namespace

HttpOptions openai_headers(const std::string &key) {
  HttpOptions o;
  o.headers["Authorization"] = "Bearer " + key;
  o.headers["Content-Type"] = "application/json";
  return o;
}

HttpResult http_post(const std::string &url, const std::string &body, const HttpOptions &opts) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  HttpResult r;
  Ctx ctx{&r, std::chrono::steady_clock::now()};
  CURL *h = curl_easy_init();
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
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
  if (!opts.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opts.ca_file.c_str());
  r.curl_code = curl_easy_perform(h);
  r.curl_error = err;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  r.total_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - ctx.t0)
          .count();
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(h);
  return r;
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
