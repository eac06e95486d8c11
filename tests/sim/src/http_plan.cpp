// Response plans and the faults that rewrite them.
#include "sim/src/http_plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "voxline/core/json.hpp"

namespace voxline::sim::detail {

HttpPlan fixed_response(int status, std::string body, std::string content_type) {
  HttpPlan plan;
  plan.status = status;
  plan.content_type = std::move(content_type);
  plan.body = std::move(body);
  plan.steps.push_back({0, plan.body, false});
  return plan;
}

std::string openai_error_body(std::string_view message, std::string_view type, std::string_view code,
                              std::string_view param) {
  return fmt::format(R"({{"error":{{"message":{},"type":{},"param":{},"code":{}}}}})", json::quote(message),
                     json::quote(type), param.empty() ? "null" : json::quote(param),
                     code.empty() ? "null" : json::quote(code));
}

HttpPlan status_fault_response(const Fault &fault) {
  std::string body = fault.body;
  if (body.empty()) {
    switch (fault.status) {
      case 401:
        body = openai_error_body(
            "Incorrect API key provided. You can find your API key in your account settings.",
            "invalid_request_error", "invalid_api_key");
        break;
      case 403:
        body = openai_error_body("Country, region, or territory not supported.", "invalid_request_error",
                                 "unsupported_country_region_territory");
        break;
      case 429:
        body = openai_error_body(
            "Rate limit reached for gpt-4o in organization org-sim on requests per min (RPM): Limit 3, Used "
            "3, "
            "Requested 1. Please try again in 1s.",
            "requests", "rate_limit_exceeded");
        break;
      case 503:
        body = openai_error_body("The engine is currently overloaded, please try again later.",
                                 "server_error", "");
        break;
      default:
        if (fault.status >= 500) {
          body = openai_error_body("The server had an error while processing your request. Sorry about that!",
                                   "server_error", "");
        } else {
          body = openai_error_body(fmt::format("voxline-sim scripted error {}", fault.status),
                                   "invalid_request_error", "");
        }
    }
  }
  HttpPlan plan = fixed_response(fault.status, body);
  if (fault.retry_after) plan.headers.emplace_back("retry-after", *fault.retry_after);
  if (fault.retry_after_ms)
    plan.headers.emplace_back("retry-after-ms", std::to_string(*fault.retry_after_ms));
  if (fault.should_retry) plan.headers.emplace_back("x-should-retry", *fault.should_retry ? "true" : "false");
  return plan;
}

namespace {

size_t event_position(const HttpPlan &plan, int64_t after_messages) {
  // Index in steps after which `after_messages` events have been written.
  int64_t seen = 0;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (seen >= after_messages) return i;
    if (plan.steps[i].is_event) ++seen;
  }
  return plan.steps.size();
}

int64_t time_at(const HttpPlan &plan, size_t pos) {
  if (pos < plan.steps.size()) return plan.steps[pos].at_ms;
  return plan.steps.empty() ? 0 : plan.steps.back().at_ms;
}

}  // namespace

void apply_stream_faults(HttpPlan &plan, const std::vector<const Fault *> &faults, bool crlf) {
  const std::string nl = crlf ? "\r\n" : "\n";
  for (const Fault *f : faults) {
    const int64_t n = f->after_messages.value_or(0);
    size_t pos = event_position(plan, n);
    switch (f->type) {
      case FaultType::kDrop: {
        if (f->after_ms) {
          const int64_t t = *f->after_ms;
          plan.steps.erase(std::remove_if(plan.steps.begin(), plan.steps.end(),
                                          [t](const HttpStep &s) { return s.at_ms >= t; }),
                           plan.steps.end());
          if (f->after_messages) {
            size_t p2 = event_position(plan, n);
            plan.steps.resize(std::min(p2, plan.steps.size()));
          }
          plan.end = HttpEnd::kDrop;
          plan.drop_at_ms = t;
        } else {
          plan.drop_at_ms = time_at(plan, pos == 0 ? 0 : pos - 1);
          plan.steps.resize(pos);
          plan.end = HttpEnd::kDrop;
        }
        break;
      }
      case FaultType::kStall:
        for (size_t i = pos; i < plan.steps.size(); ++i) plan.steps[i].at_ms += f->stall_ms;
        break;
      case FaultType::kMalformedJson:
        plan.steps.insert(plan.steps.begin() + static_cast<std::ptrdiff_t>(pos),
                          HttpStep{time_at(plan, pos),
                                   "data: {\"id\":\"chatcmpl-sim\",\"object\":\"chat.completion.chunk\","
                                   "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut" +
                                       nl + nl,
                                   true});
        break;
      case FaultType::kGarbageLine:
        plan.steps.insert(
            plan.steps.begin() + static_cast<std::ptrdiff_t>(pos),
            HttpStep{time_at(plan, pos), "<html><body>502 Bad Gateway</body></html>" + nl, true});
        break;
      case FaultType::kTruncatedEvent: {
        std::string half;
        int64_t t = time_at(plan, pos);
        if (pos < plan.steps.size()) {
          const std::string &d = plan.steps[pos].data;
          // Cut inside the event and drop its terminating blank line.
          half = d.substr(0, std::max<size_t>(1, d.size() / 2));
        } else {
          half = "data: {\"choices\":[{\"delta\":{\"content\":\"tr";
        }
        plan.steps.resize(pos);
        plan.steps.push_back({t, half, true});
        plan.end = HttpEnd::kComplete;
        break;
      }
      case FaultType::kErrorEvent: {
        int64_t t = time_at(plan, pos);
        plan.steps.resize(pos);
        plan.steps.push_back(
            {t,
             "data: " +
                 openai_error_body("The server had an error while processing your request. Sorry about that!",
                                   "server_error", "server_error") +
                 nl + nl,
             true});
        plan.end = HttpEnd::kComplete;
        break;
      }
      default: break;
    }
  }
}

void apply_fixed_faults(HttpPlan &plan, const std::vector<const Fault *> &faults) {
  for (const Fault *f : faults) {
    if (f->type != FaultType::kDrop) continue;
    plan.steps.clear();
    plan.steps.push_back({0, plan.body.substr(0, plan.body.size() / 2), false});
    plan.end = HttpEnd::kDrop;
    plan.drop_at_ms = f->after_ms.value_or(0);
  }
}

}  // namespace voxline::sim::detail
