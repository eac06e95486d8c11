// File: http_test_client.hpp
// post(): one blocking libcurl POST used to test voxline-sim independently of src/net. It keeps
// every body chunk with its arrival time, the response headers and curl's result code, plus a
// tiny SSE splitter (LF/CRLF, comments skipped) for asserting on streams.
// Thread-safety: call from any thread; each call uses its own easy handle.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace voxline::simtest {

struct HttpChunk {
  std::string data;
  int64_t t_ms = 0;  // since the request started
};

struct HttpResult {
  int curl_code = 0;  // CURLcode
  std::string curl_error;
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::vector<HttpChunk> chunks;
  int64_t total_ms = 0;
  long new_connections = 0;  // CURLINFO_NUM_CONNECTS: 0 when a kept-alive connection was reused
};

struct HttpOptions {
  std::map<std::string, std::string> headers;
  std::string ca_file;  // https: trust this CA
  long timeout_ms = 5000;
  long expect_100_timeout_ms = 1000;  // how long curl waits for "100 Continue" before sending a big body
};

HttpResult http_post(const std::string &url, const std::string &body, const HttpOptions &opts = {});

// Several requests over one curl handle, so HTTP/1.1 keep-alive connections get reused.
class HttpSession {
 public:
  HttpSession();
  ~HttpSession();
  HttpSession(const HttpSession &) = delete;
  HttpSession &operator=(const HttpSession &) = delete;
  HttpResult post(const std::string &url, const std::string &body, const HttpOptions &opts = {});

 private:
  void *handle_;
};

// "Authorization: Bearer test-key" and a JSON content type, the usual OpenAI headers.
HttpOptions openai_headers(const std::string &key = "test-key");

// Data of each SSE event in `body`, in order (comments skipped, multi-line data joined by \n).
std::vector<std::string> sse_data(const std::string &body);

}  // namespace voxline::simtest
