#include <doctest/doctest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "voxline/core/log.hpp"

using voxline::Logger;
using voxline::LogLevel;
using voxline::LogRecord;
using voxline::Redactor;

namespace {

// Captures every line a logger emits.
struct Capture {
  std::mutex mu;
  std::vector<std::pair<LogLevel, std::string>> lines;
  voxline::LogSink sink() {
    return [this](const LogRecord &r) {
      std::lock_guard<std::mutex> lock(mu);
      lines.emplace_back(r.level, std::string(r.message));
    };
  }
};

constexpr const char *kKey = "dg_4f9c2a7e1b3d5f6a8c0e";

}  // namespace

TEST_CASE("a registered key is masked inside a longer line at every level") {
  Logger log;
  Capture cap;
  log.set_sink(cap.sink());
  log.set_level(LogLevel::kTrace);
  REQUIRE(log.redactor().add_secret(kKey).ok());
  for (LogLevel level :
       {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    log.logf(level, "net", "url=wss://x/v1/listen?key={}&model=nova-3 retry {}", kKey, 2);
  }
  REQUIRE(cap.lines.size() == 5);
  for (const auto &[level, line] : cap.lines) {
    CHECK(line.find(kKey) == std::string::npos);
    CHECK(line == "url=wss://x/v1/listen?key=***&model=nova-3 retry 2");
  }
}

TEST_CASE("a key glued to other characters is still masked") {
  Redactor r;
  REQUIRE(r.add_secret(kKey).ok());
  const std::string line = std::string("prefix") + kKey + kKey + "suffix";
  CHECK(r.redact(line) == "prefix******suffix");
}

TEST_CASE("Authorization and api-key header values are masked whatever their case and form") {
  Redactor r;
  CHECK(r.redact("Authorization: Token abc123def") == "Authorization: ***");
  CHECK(r.redact("> authorization: Bearer eyJhbGciOi.x.y\r\nHost: a") == "> authorization: ***\r\nHost: a");
  CHECK(r.redact(R"({"headers":{"Authorization":"Bearer sk-proj-abc","X":"1"}})") ==
        R"({"headers":{"Authorization":"***","X":"1"}})");
  CHECK(r.redact("api-key: 0123456789abcdef") == "api-key: ***");
  CHECK(r.redact("x-api-key=zzzzzzzz&model=gpt-4o") == "x-api-key=***&model=gpt-4o");
  CHECK(r.redact("headers: [API-KEY: hidden1234, accept: json]") == "headers: [API-KEY: ***, accept: json]");
  CHECK(r.redact("Proxy-Authorization: Basic dXNlcjpwYXNz") == "Proxy-Authorization: ***");
}

TEST_CASE("bearer tokens and OpenAI-style keys are masked even without a header name") {
  Redactor r;
  CHECK(r.redact("sent Bearer abcdefgh1234ijkl to server") == "sent Bearer *** to server");
  CHECK(r.redact("sent Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig to server") ==
        "sent Bearer *** to server");
  CHECK(r.redact("key sk-proj-ABCDEFGHIJKLMNOPQRSTUV in config") == "key *** in config");
  // Prose that merely contains the words stays intact.
  CHECK(r.redact("token count is 42 for the bearer of news") == "token count is 42 for the bearer of news");
  CHECK(r.redact("task-list and sk-1 are fine") == "task-list and sk-1 are fine");
}

TEST_CASE("credential schemes are masked only on word boundaries and when the value is credential-shaped") {
  Redactor r;
  // Prose keeps its words.
  for (const char *prose :
       {"Basic understanding of the booking flow", "token estimation was off by 3", "Token estimation.",
        "the Basic training slot", "Bearer instruments aside", "Tokens estimation", "subtoken abc123def456",
        "nosecret=visible", "mypassword: visible", "a token estimation. Basic understanding."}) {
    CHECK_MESSAGE(r.redact(prose) == prose, prose);
  }
  // Credentials go, header name or not.
  CHECK(r.redact("Authorization: Basic dXNlcjpwYXNz") == "Authorization: ***");
  CHECK(r.redact("retry with Basic dXNlcjpwYXNz now") == "retry with Basic *** now");
  CHECK(r.redact("Token abc123def456abc123def456abc123def456ab rejected") == "Token *** rejected");
  CHECK(r.redact("token 0f9e8d7c6b5a. next") == "token ***. next");
  CHECK(r.redact("Bearer AbCdEfGhIjKl") == "Bearer ***");
  CHECK(r.redact("client_secret=abc&x=1") == "client_secret=***&x=1");
  CHECK(r.redact("OPENAI-API-KEY: zz") == "OPENAI-API-KEY: ***");
}

TEST_CASE("URL credentials are masked wherever a URL appears") {
  Redactor r;
  CHECK(r.redact("connect redis://:hunter2@cache:6379/0 failed") ==
        "connect redis://***@cache:6379/0 failed");
  CHECK(r.redact("redis://app:p%40ss@10.0.0.5/2") == "redis://***@10.0.0.5/2");
  CHECK(r.redact("see https://example.com/a@b and wss://h:1/x") ==
        "see https://example.com/a@b and wss://h:1/x");
}

TEST_CASE("secrets shorter than the minimum are refused rather than masking ordinary text") {
  Redactor r;
  CHECK(r.add_secret("").code() == voxline::StatusCode::kInvalidArgument);
  CHECK(r.add_secret("abc").code() == voxline::StatusCode::kInvalidArgument);
  CHECK(r.secret_count() == 0);
  CHECK(r.add_secret("abcd").ok());
  CHECK(r.add_secret("abcd").ok());  // idempotent
  CHECK(r.secret_count() == 1);
}

TEST_CASE("a secret containing another secret is masked whole") {
  Redactor r;
  REQUIRE(r.add_secret("short-key").ok());
  REQUIRE(r.add_secret("short-key-and-more").ok());
  CHECK(r.redact("k=short-key-and-more;") == "k=***;");
}

TEST_CASE("lines below the level are not formatted nor emitted") {
  Logger log;
  Capture cap;
  log.set_sink(cap.sink());
  log.set_level(LogLevel::kWarn);
  int formatted = 0;
  auto expensive = [&] { return ++formatted; };
  VOXLINE_LOG_DEBUG(log, "core", "value {}", expensive());
  VOXLINE_LOG_WARN(log, "core", "value {}", expensive());
  CHECK(formatted == 1);
  REQUIRE(cap.lines.size() == 1);
  CHECK(cap.lines[0].second == "value 1");
  CHECK(log.lines_emitted(LogLevel::kWarn) == 1);
  CHECK(log.lines_emitted(LogLevel::kDebug) == 0);
  log.set_level(LogLevel::kOff);
  VOXLINE_LOG_ERROR(log, "core", "silenced");
  CHECK(cap.lines.size() == 1);
}

TEST_CASE("an empty sink discards lines and a sink may be swapped while other threads log") {
  Logger log;
  log.set_level(LogLevel::kInfo);
  log.set_sink(nullptr);
  log.log(LogLevel::kError, "core", "dropped");
  Capture a, b;
  log.set_sink(a.sink());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) log.log(LogLevel::kInfo, "core", "line");
    });
  }
  log.set_sink(b.sink());
  for (auto &t : threads) t.join();
  CHECK(a.lines.size() + b.lines.size() == 2000);
}

TEST_CASE("a sink may call back into the logger without deadlocking") {
  Logger log;
  log.set_level(LogLevel::kInfo);
  Capture cap;
  log.set_sink([&](const LogRecord &r) {
    {
      std::lock_guard<std::mutex> lock(cap.mu);
      cap.lines.emplace_back(r.level, std::string(r.message));
    }
    if (r.message == "outer") log.log(LogLevel::kInfo, "core", "inner");
  });
  log.log(LogLevel::kInfo, "core", "outer");
  CHECK(cap.lines.size() == 2);
}

TEST_CASE("log levels parse from text and reject unknown names") {
  CHECK(*voxline::parse_log_level("WARNING") == LogLevel::kWarn);
  CHECK(*voxline::parse_log_level("debug") == LogLevel::kDebug);
  auto bad = voxline::parse_log_level("loud");
  CHECK(bad.status().code() == voxline::StatusCode::kInvalidArgument);
  CHECK(bad.status().message().find("loud") != std::string::npos);
}
