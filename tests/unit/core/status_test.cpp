#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>

#include "voxline.h"
#include "voxline/core/health.hpp"
#include "voxline/core/json.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"
#include "voxline/core/version.hpp"

using voxline::Result;
using voxline::Status;
using voxline::StatusCode;

namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return voxline::invalid_argument("must be positive");
  return v;
}

Result<int> doubled(int v) {
  VOXLINE_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return x * 2;
}

Status check_both(int a, int b) {
  VOXLINE_RETURN_IF_ERROR(parse_positive(a).status());
  VOXLINE_RETURN_IF_ERROR(parse_positive(b).status().with_context("b"));
  return Status::Ok();
}

}  // namespace

TEST_CASE("status codes keep the numbers the C ABI exposes") {
  CHECK(static_cast<int>(StatusCode::kOk) == VOXLINE_OK);
  CHECK(static_cast<int>(StatusCode::kInvalidArgument) == VOXLINE_E_INVALID_ARGUMENT);
  CHECK(static_cast<int>(StatusCode::kTimeout) == VOXLINE_E_TIMEOUT);
  CHECK(static_cast<int>(StatusCode::kUnavailable) == VOXLINE_E_UNAVAILABLE);
  CHECK(static_cast<int>(StatusCode::kQueueFull) == VOXLINE_E_QUEUE_FULL);
  CHECK(static_cast<int>(StatusCode::kBufferTooSmall) == VOXLINE_E_BUFFER_TOO_SMALL);
  CHECK(static_cast<int>(StatusCode::kCancelled) == VOXLINE_E_CANCELLED);
  CHECK(static_cast<int>(StatusCode::kUnauthenticated) == VOXLINE_E_UNAUTHENTICATED);
  CHECK(static_cast<int>(StatusCode::kRateLimited) == VOXLINE_E_RATE_LIMITED);
  CHECK(static_cast<int>(StatusCode::kNotFound) == VOXLINE_E_NOT_FOUND);
  CHECK(static_cast<int>(StatusCode::kConflict) == VOXLINE_E_CONFLICT);
  CHECK(static_cast<int>(StatusCode::kFailedPrecondition) == VOXLINE_E_FAILED_PRECONDITION);
  CHECK(static_cast<int>(StatusCode::kProtocolError) == VOXLINE_E_PROTOCOL_ERROR);
  CHECK(static_cast<int>(StatusCode::kUnsupported) == VOXLINE_E_UNSUPPORTED);
  CHECK(static_cast<int>(StatusCode::kInternal) == VOXLINE_E_INTERNAL);
  CHECK(std::string(voxline_status_str(VOXLINE_E_TIMEOUT)) == "TIMEOUT");
  CHECK(std::string(voxline_status_str(static_cast<voxline_status>(-1234))) == "UNKNOWN");
}

TEST_CASE("status carries code and message and adds context") {
  Status s = voxline::timeout_error("connect took 5000 ms");
  CHECK_FALSE(s.ok());
  CHECK(s.to_string() == "TIMEOUT: connect took 5000 ms");
  CHECK(s.with_context("deepgram stt").message() == "deepgram stt: connect took 5000 ms");
  CHECK(Status::Ok().with_context("x").ok());
  CHECK(Status::Ok().to_string() == "OK");
}

TEST_CASE("result propagates values and errors through the macros") {
  CHECK(*doubled(21) == 42);
  auto bad = doubled(-1);
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
  CHECK(check_both(1, 2).ok());
  CHECK(check_both(1, -2).message() == "b: must be positive");
}

TEST_CASE("reading the value of an error result throws instead of reading garbage") {
  Result<int> r = voxline::not_found("no such customer");
  CHECK_THROWS_AS((void)r.value(), std::logic_error);
  CHECK(r.value_or(7) == 7);
}

TEST_CASE("a result built from an OK status becomes an internal error") {
  Result<int> r = Status::Ok();
  CHECK(r.status().code() == StatusCode::kInternal);
}

TEST_CASE("result holds move-only values") {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  REQUIRE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  CHECK(*p == 5);
}

TEST_CASE("the core health report passes and renders as JSON") {
  const auto report = voxline::core_health_report();
  CHECK(report.ok());
  CHECK(report.find("core.clock") != nullptr);
  auto doc = voxline::json::parse(report.to_json());
  REQUIRE(doc.ok());
  CHECK((*doc)["ok"].GetBool());
  CHECK(std::string((*doc)["version"].GetString()) == voxline::version_string());
}

TEST_CASE("a failing check makes the whole report fail") {
  voxline::HealthReport r;
  r.add({"a", true, "fine", 0.1});
  CHECK(r.ok());
  r.add({"b", false, "Authorization: Bearer abcdefghijkl leaked?", 0.2});
  CHECK_FALSE(r.ok());
  CHECK(r.to_text().find("FAIL") != std::string::npos);
  CHECK(r.to_json().find("abcdefghijkl") == std::string::npos);  // details are redacted
}
