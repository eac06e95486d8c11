// File: http_plan.hpp
// HttpPlan: a complete, precomputed HTTP response (status, headers, body steps with their send
// times and the way it ends). The OpenAI and generic SSE endpoints build plans with pure code;
// the lws glue only plays them back, so response logic is testable without sockets.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/src/scenario.hpp"

namespace voxline::sim::detail {

struct HttpStep {
  int64_t at_ms = 0;     // since the response started
  std::string data;      // bytes to write (framed as one HTTP chunk when the plan is chunked)
  bool is_event = true;  // counts as a "message" for after_messages faults and is recorded
};

enum class HttpEnd {
  kComplete,  // final chunk (chunked) / nothing more; the transaction completes
  kDrop,      // the TCP connection is cut at drop_at_ms, mid-body
};

struct HttpPlan {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (lower-case names)
  bool chunked = false;  // transfer-encoding: chunked (streams); else content-length = body size
  std::string body;      // full body when !chunked (steps then hold the bytes actually sent)
  std::vector<HttpStep> steps;
  HttpEnd end = HttpEnd::kComplete;
  int64_t drop_at_ms = 0;
  // > 0: each chunked step is written as HTTP chunks of at most this many bytes in separate
  // writes, so clients see events split at arbitrary byte positions (inside UTF-8 too).
  size_t split_bytes = 0;
  bool binary = false;  // the steps are audio: recorded as "binary" instead of "text"
};

// A fixed-body response (JSON by default) sent in one step.
HttpPlan fixed_response(int status, std::string body, std::string content_type = "application/json");

// {"error":{"message":..,"type":..,"param":null,"code":..}} with `code` null when empty.
std::string openai_error_body(std::string_view message, std::string_view type, std::string_view code,
                              std::string_view param = {});

// The response a status fault asks for: OpenAI-shaped error JSON (unless the fault has a body)
// plus retry-after / retry-after-ms / x-should-retry headers when configured.
HttpPlan status_fault_response(const Fault &fault);

// Applies stream faults (drop, stall, malformed_json, garbage_line, truncated_event,
// error_event) to a streaming plan; `crlf` picks the line ending of inserted events.
void apply_stream_faults(HttpPlan &plan, const std::vector<const Fault *> &faults, bool crlf);

// Applies a drop fault to a fixed-body plan: half the body is sent, then the connection is cut.
void apply_fixed_faults(HttpPlan &plan, const std::vector<const Fault *> &faults);

}  // namespace voxline::sim::detail
