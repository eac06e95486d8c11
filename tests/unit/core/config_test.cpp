#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "voxline/core/config.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/strings.hpp"

using voxline::Config;
using voxline::StatusCode;
namespace defaults = voxline::defaults;

namespace {

// A Logger whose lines land in a vector (warnings included: level kWarn by default).
struct CapturingLogger {
  voxline::Logger logger;
  std::mutex mu;
  std::vector<std::string> lines;
  CapturingLogger() {
    logger.set_sink([this](const voxline::LogRecord &r) {
      std::lock_guard<std::mutex> lock(mu);
      lines.emplace_back(r.message);
    });
  }
};

}  // namespace

TEST_CASE("defaults validate and are the constants of core/defaults.hpp") {
  Config cfg;
  CHECK(cfg.validate().ok());
  CHECK(cfg.slots == defaults::kSlots);
  CHECK(cfg.connect_timeout_ms == 5000);
  CHECK(cfg.connect_timeout_ms == defaults::to_ms(defaults::kConnectTimeout));
  CHECK(cfg.handshake_timeout_ms == defaults::to_ms(defaults::kWsHandshakeTimeout));
  CHECK(cfg.send_timeout_ms == defaults::to_ms(defaults::kWsSendTimeout));
  CHECK(cfg.close_timeout_ms == defaults::to_ms(defaults::kWsCloseTimeout));
  CHECK(cfg.first_byte_timeout_ms == defaults::to_ms(defaults::kHttpFirstByteTimeout));
  CHECK(cfg.idle_timeout_ms == defaults::to_ms(defaults::kHttpIdleTimeout));
  CHECK_FALSE(cfg.tls_insecure_skip_verify);
}

TEST_CASE("the slot bound is the Runtime's: kMinSlots..kMaxSlots, in JSON and in the environment") {
  Config cfg;
  CHECK(cfg.apply_json(R"({"runtime":{"slots":)" + std::to_string(defaults::kMaxSlots) + "}}").ok());
  CHECK(cfg.slots == defaults::kMaxSlots);
  auto s = cfg.apply_json(R"({"runtime":{"slots":)" + std::to_string(defaults::kMaxSlots + 1) + "}}");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("[1, " + std::to_string(defaults::kMaxSlots) + "]") != std::string::npos);
  s = cfg.apply_environment({"VOXLINE_RUNTIME_SLOTS=" + std::to_string(defaults::kMaxSlots + 1)});
  CHECK(s.message().find("VOXLINE_RUNTIME_SLOTS") != std::string::npos);
  CHECK(cfg.slots == defaults::kMaxSlots);
}

TEST_CASE("JSON overlays only the keys it names") {
  Config cfg;
  REQUIRE(cfg.apply_json(R"({"session_store":{"key_prefix":"shop1"},"log":{"level":"debug"}})").ok());
  CHECK(cfg.session_store_key_prefix == "shop1");
  CHECK(cfg.log_level == voxline::LogLevel::kDebug);
  CHECK(cfg.session_store_url == "memory://");
}

TEST_CASE("an unknown key is rejected by its full name and nothing is applied") {
  Config cfg;
  auto s = cfg.apply_json(R"({"storage":{"sqlite_path":"x.db","sqlite_pth":"typo"}})");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("'storage.sqlite_pth'") != std::string::npos);
  CHECK(cfg.sqlite_path == "voxline.db");  // the valid key before the typo was not applied
}

TEST_CASE("keys removed because nothing read them are unknown keys now") {
  Config cfg;
  for (const char *doc :
       {R"({"openai":{"model":"gpt-4o"}})", R"({"deepgram":{"api_key":"dg-123456"}})",
        R"({"timeouts":{"tool_ms":8000}})", R"({"timeouts":{"store_ms":500}})",
        R"({"timeouts":{"tls_handshake_ms":5000}})", R"({"runtime":{"worker_threads":2}})"}) {
    auto s = cfg.apply_json(doc);
    CHECK_MESSAGE(s.code() == StatusCode::kInvalidArgument, doc);
    CHECK_MESSAGE(s.message().find("unknown config") != std::string::npos, doc);
  }
}

TEST_CASE("an unknown section is rejected by name") {
  Config cfg;
  auto s = cfg.apply_json(R"({"sesion_store":{"url":"memory://"}})");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("'sesion_store'") != std::string::npos);
}

TEST_CASE("a mistyped or out-of-range value names the key") {
  Config cfg;
  auto s = cfg.apply_json(R"({"runtime":{"slots":"two"}})");
  CHECK(s.message().find("'runtime.slots'") != std::string::npos);
  s = cfg.apply_json(R"({"runtime":{"slots":0}})");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("runtime.slots") != std::string::npos);
  s = cfg.apply_json(R"({"timeouts":{"connect_ms":0}})");
  CHECK(s.message().find("timeouts.connect_ms") != std::string::npos);
  CHECK(cfg.apply_json(R"({"timeouts":{"idle_ms":0}})").ok());  // 0 turns the idle check off
  s = cfg.apply_json(R"({"log":{"level":"chatty"}})");
  CHECK(s.message().find("log.level") != std::string::npos);
  s = cfg.apply_json(R"({"tls":"on"})");
  CHECK(s.message().find("'tls'") != std::string::npos);
  CHECK(cfg.apply_json("[]").code() == StatusCode::kInvalidArgument);
  CHECK(cfg.apply_json("{").code() == StatusCode::kInvalidArgument);
}

TEST_CASE("environment overrides file values") {
  Config cfg;
  REQUIRE(cfg.apply_json(R"({"session_store":{"url":"redis://file:1/0"}})").ok());
  REQUIRE(cfg.apply_environment({"PATH=/usr/bin", "VOXLINE_SESSION_STORE_URL=redis://127.0.0.1:6380/2",
                                 "VOXLINE_RUNTIME_SLOTS=2", "VOXLINE_TLS_INSECURE_SKIP_VERIFY=true",
                                 "VOXLINE_LOG_LEVEL=error", "VOXLINE_TIMEOUTS_CONNECT_MS=1500"})
              .ok());
  CHECK(cfg.session_store_url == "redis://127.0.0.1:6380/2");
  CHECK(cfg.slots == 2);
  CHECK(cfg.tls_insecure_skip_verify);
  CHECK(cfg.log_level == voxline::LogLevel::kError);
  CHECK(cfg.connect_timeout_ms == 1500);
}

TEST_CASE("a bad value for a known VOXLINE_ variable is an error naming the variable") {
  Config cfg;
  auto s = cfg.apply_environment({"VOXLINE_RUNTIME_SLOTS=lots"});
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("VOXLINE_RUNTIME_SLOTS") != std::string::npos);
  s = cfg.apply_environment({"VOXLINE_TLS_INSECURE_SKIP_VERIFY=maybe"});
  CHECK(s.message().find("VOXLINE_TLS_INSECURE_SKIP_VERIFY") != std::string::npos);
}

TEST_CASE("an unknown VOXLINE_ variable is one warning naming it, never its value, and loading goes on") {
  CapturingLogger cap;
  Config cfg;
  REQUIRE(cfg.apply_environment({"VOXLINE_SESSION_STORE_URLL=redis://:hunter22@h/0",
                                 "VOXLINE_SIM_EXE=/bin/sim", "VOXLINE_LOG_LEVEL=info"},
                                cap.logger)
              .ok());
  CHECK(cfg.log_level == voxline::LogLevel::kInfo);  // known keys still applied
  REQUIRE(cap.lines.size() == 1);
  CHECK(cap.lines[0].find("VOXLINE_SESSION_STORE_URLL") != std::string::npos);
  CHECK(cap.lines[0].find("VOXLINE_SIM_EXE") != std::string::npos);
  CHECK(cap.lines[0].find("hunter22") == std::string::npos);
  CHECK(cfg.apply_environment({"VOXLINE_LOG_LEVEL=warn"}, cap.logger).ok());
  CHECK(cap.lines.size() == 1);  // nothing unknown: no line
}

// The bug: the test harness's own VOXLINE_REDIS_SERVER made every Config::load() fail.
TEST_CASE("Config::load succeeds with the project's own VOXLINE_REDIS_SERVER in the process environment") {
  const char *old = std::getenv("VOXLINE_REDIS_SERVER");
  const std::string saved = old != nullptr ? old : "";
  REQUIRE(::setenv("VOXLINE_REDIS_SERVER", "/usr/bin/redis-server", 1) == 0);
  CapturingLogger cap;
  auto cfg = Config::load({}, cap.logger);
  if (old != nullptr)
    ::setenv("VOXLINE_REDIS_SERVER", saved.c_str(), 1);
  else
    ::unsetenv("VOXLINE_REDIS_SERVER");
  REQUIRE(cfg.ok());
  bool warned = false;
  for (const std::string &line : cap.lines)
    warned = warned || line.find("VOXLINE_REDIS_SERVER") != std::string::npos;
  CHECK(warned);
}

TEST_CASE("validate rejects a session store URL with the wrong scheme, without echoing its password") {
  Config cfg;
  cfg.session_store_url = "postgres://app:pgsecret@x/db";
  const std::string m = cfg.validate().message();
  CHECK(m.find("session_store.url") != std::string::npos);
  CHECK(m.find("pgsecret") == std::string::npos);
  cfg.session_store_url = "REDIS://cache:6379/0";  // schemes are case-insensitive
  CHECK(cfg.validate().ok());
  cfg = Config();
  cfg.sqlite_path.clear();
  CHECK(cfg.validate().message().find("storage.sqlite_path") != std::string::npos);
}

TEST_CASE(
    "validate takes database.url only with a sqlite: or postgresql:// scheme, echoing only the scheme") {
  Config cfg;
  CHECK(cfg.database_url.empty());  // default: SQLite at storage.sqlite_path
  for (const char *ok : {"sqlite:///var/lib/shop.db", "SQLITE://shop.db", "postgresql://app:pw@db/shop",
                         "postgres://db/shop?sslmode=require"}) {
    cfg.database_url = ok;
    CHECK_MESSAGE(cfg.validate().ok(), ok);
  }
  cfg.database_url = "mysql://app:pgsecret@db/shop";
  voxline::Status s = cfg.validate();
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("database.url") != std::string::npos);
  CHECK(s.message().find("'mysql'") != std::string::npos);
  CHECK(s.message().find("pgsecret") == std::string::npos);
  cfg.database_url = "/var/lib/shop.db";  // a bare path is no URL
  CHECK(cfg.validate().code() == StatusCode::kInvalidArgument);
  REQUIRE(cfg.apply_environment({"VOXLINE_DATABASE_URL=postgresql://app:pw@db/shop"}).ok());
  CHECK(cfg.database_url == "postgresql://app:pw@db/shop");
}

TEST_CASE("database.url's password is masked in to_json and registered as a secret") {
  Config cfg;
  cfg.database_url = "postgresql://app:pg-s3cret-pw@db:5432/shop";
  CHECK(cfg.to_json().find("pg-s3cret-pw") == std::string::npos);
  CHECK(cfg.to_json().find("\"database\":{\"url\":\"postgresql://***@db:5432/shop\"}") != std::string::npos);
  CapturingLogger cap;
  cfg.configure(cap.logger);
  cap.logger.log(voxline::LogLevel::kError, "test", "connect failed with pg-s3cret-pw");
  REQUIRE(cap.lines.size() == 1);
  CHECK(cap.lines[0] == "connect failed with ***");
}

TEST_CASE("a config file loads and a missing file is NOT_FOUND naming the path") {
  voxline::testing::TempDir dir;
  REQUIRE(dir.ok());
  const std::string path = dir.file("agent.json");
  std::ofstream(path) << R"({"storage":{"sqlite_path":"/var/lib/shop.db"},"timeouts":{"connect_ms":1500}})";
  Config cfg;
  REQUIRE(cfg.apply_file(path).ok());
  CHECK(cfg.sqlite_path == "/var/lib/shop.db");
  CHECK(cfg.connect_timeout_ms == 1500);
  auto missing = cfg.apply_file(dir.file("nope.json"));
  CHECK(missing.code() == StatusCode::kNotFound);
  CHECK(missing.message().find("nope.json") != std::string::npos);
  std::ofstream(dir.file("bad.json")) << R"({"storage":{"sqlite":"x"}})";
  auto bad = cfg.apply_file(dir.file("bad.json"));
  CHECK(bad.message().find("bad.json") != std::string::npos);
  CHECK(bad.message().find("'storage.sqlite'") != std::string::npos);
}

TEST_CASE("to_json masks URL credentials unless asked and round-trips through apply_json") {
  Config cfg;
  cfg.session_store_url = "redis://app:s3cret-pw@cache:6379/2";
  cfg.send_timeout_ms = 4000;
  const std::string shown = cfg.to_json();
  CHECK(shown.find("s3cret-pw") == std::string::npos);
  CHECK(shown.find("\"url\":\"redis://***@cache:6379/2\"") != std::string::npos);
  Config copy;
  REQUIRE(copy.apply_json(cfg.to_json(true)).ok());
  CHECK(copy.session_store_url == cfg.session_store_url);
  CHECK(copy.send_timeout_ms == 4000);
  CHECK(copy.to_json(true) == cfg.to_json(true));
}

TEST_CASE("configure sets the logger's level and makes the store password vanish from log lines") {
  Config cfg;
  cfg.session_store_url = "redis://:hunter2-pw@cache/0";
  cfg.log_level = voxline::LogLevel::kInfo;
  CapturingLogger cap;
  cfg.configure(cap.logger);
  CHECK(cap.logger.level() == voxline::LogLevel::kInfo);
  cap.logger.log(voxline::LogLevel::kInfo, "test", "AUTH failed for password hunter2-pw");
  REQUIRE(cap.lines.size() == 1);
  CHECK(cap.lines[0] == "AUTH failed for password ***");
}

TEST_CASE("every documented key is known and addressable from the environment") {
  const auto names = Config::key_names();
  CHECK(names.size() == 15);
  for (const std::string &name : names) {
    std::string env = "VOXLINE_" + voxline::to_upper_ascii(name);
    for (char &c : env) c = c == '.' ? '_' : c;
    Config cfg;
    CapturingLogger cap;
    // A value of the wrong shape must fail naming that variable, proving the name is recognised;
    // a string key accepts it and no "unknown" warning may appear.
    auto s = cfg.apply_environment({env + "=not-a-number-or-bool-or-level"}, cap.logger);
    if (!s.ok()) CHECK_MESSAGE(s.message().find(env) != std::string::npos, env);
    CHECK_MESSAGE(cap.lines.empty(), env);
  }
}
