// Text from outside voxline (HTTP error bodies, close reasons) reaches messages and log lines
// only through Status::from_external / external_text, which redact it.
#include <mutex>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "voxline/core/log.hpp"
#include "voxline/core/redactor.hpp"
#include "voxline/core/status.hpp"

namespace voxline {
namespace {

struct CapturingSink {
  std::mutex mu;
  std::vector<std::string> lines;
  LogSink sink() {
    return [this](const LogRecord &r) {
      std::lock_guard<std::mutex> lock(mu);
      lines.emplace_back(r.message);
    };
  }
};

constexpr const char *kRegistered = "dg-registered-0123456789abcdef";
constexpr const char *kOpenAiKey = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx";

// What an OpenAI-compatible server sends back for a bad key: it echoes the key it was given.
std::string error_body() {
  return std::string(R"({"error":{"message":"Incorrect API key provided: )") + kOpenAiKey +
         R"(. You can find your API key at https://platform.openai.com.","type":"invalid_request_error",)" +
         R"("request":{"headers":{"Authorization":"Token )" + kRegistered + R"("}}}})";
}

TEST_CASE("a secret inside an HTTP error body never reaches a log line through a Status") {
  Logger log;
  CapturingSink cap;
  log.set_sink(cap.sink());
  REQUIRE(log.redactor().add_secret(kRegistered).ok());
  const Status s =
      Status::from_external(StatusCode::kUnauthenticated, "HTTP 401", error_body(), &log.redactor());
  CHECK(s.code() == StatusCode::kUnauthenticated);
  CHECK(s.message().rfind("HTTP 401: ", 0) == 0);
  CHECK(s.message().find(kRegistered) == std::string::npos);
  CHECK(s.message().find(kOpenAiKey) == std::string::npos);
  CHECK(s.message().find("Incorrect API key provided") != std::string::npos);  // the useful part stays
  VOXLINE_LOG_ERROR(log, "llm", "request failed: {}", s.to_string());
  VOXLINE_LOG_ERROR(log, "llm", "request failed: {}", s.message());
  REQUIRE(cap.lines.size() == 2);
  for (const std::string &line : cap.lines) {
    CHECK(line.find(kRegistered) == std::string::npos);
    CHECK(line.find(kOpenAiKey) == std::string::npos);
    CHECK(line.find("sk-proj") == std::string::npos);
  }
}

TEST_CASE("a secret straddling the cut of a long body is masked whole, not half") {
  Redactor r;
  REQUIRE(r.add_secret(kRegistered).ok());
  std::string body(Status::kMaxExternalBytes - 10, 'x');
  body += kRegistered;  // starts 10 bytes before the cut
  body += std::string(100, 'y');
  const Status s = Status::from_external(StatusCode::kUnavailable, "HTTP 503", body, &r);
  CHECK(s.message().find("dg-regis") == std::string::npos);
  CHECK(s.message().find("***") != std::string::npos);
  CHECK(s.message().size() <= std::string("HTTP 503: ").size() + Status::kMaxExternalBytes + 3);
}

TEST_CASE("external text is cut on a UTF-8 boundary and keeps one log line one line") {
  Redactor r;
  std::string body(Status::kMaxExternalBytes - 1, 'a');
  body += "\xc3\xa9tail";  // a two-byte character across the limit
  const std::string t = external_text(body, Status::kMaxExternalBytes, &r);
  CHECK(t == std::string(Status::kMaxExternalBytes - 1, 'a') + "...");
  CHECK(external_text("line one\r\nline two\x1b[31m", 100, &r) == "line one  line two [31m");
  CHECK(Status::from_external(StatusCode::kProtocolError, "close 1011", "", &r).message() == "close 1011");
}

TEST_CASE("to_string masks a secret registered with the default logger after the Status was made") {
  const Status s = internal_error("upstream said: key default-logger-secret-42 is revoked");
  REQUIRE(default_logger().redactor().add_secret("default-logger-secret-42").ok());
  CHECK(s.to_string() == "INTERNAL: upstream said: key *** is revoked");
  CHECK(s.message().find("default-logger-secret-42") != std::string::npos);  // stored as written
}

}  // namespace
}  // namespace voxline
