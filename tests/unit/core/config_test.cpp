#include <doctest/doctest.h>

#include <fstream>

#include "support/temp_dir.hpp"
#include "voxline/core/config.hpp"

using voxline::Config;
using voxline::StatusCode;

TEST_CASE("defaults validate and match the documented values") {
  Config cfg;
  CHECK(cfg.validate().ok());
  CHECK(cfg.max_tool_rounds == 5);
  CHECK(cfg.io_threads == 1);
  CHECK(cfg.openai_model == "gpt-4o");
  CHECK_FALSE(cfg.tls_insecure_skip_verify);
}

TEST_CASE("JSON overlays only the keys it names") {
  Config cfg;
  REQUIRE(cfg.apply_json(R"({"openai":{"model":"gpt-4.1-mini","max_tool_rounds":3},"log":{"level":"debug"}})")
              .ok());
  CHECK(cfg.openai_model == "gpt-4.1-mini");
  CHECK(cfg.max_tool_rounds == 3);
  CHECK(cfg.log_level == voxline::LogLevel::kDebug);
  CHECK(cfg.openai_base_url == "https://api.openai.com/v1");
}

TEST_CASE("an unknown key is rejected by its full name and nothing is applied") {
  Config cfg;
  auto s = cfg.apply_json(R"({"openai":{"model":"x","modle":"typo"}})");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("'openai.modle'") != std::string::npos);
  CHECK(cfg.openai_model == "gpt-4o");  // the valid "model" before the typo was not applied
}

TEST_CASE("an unknown section is rejected by name") {
  Config cfg;
  auto s = cfg.apply_json(R"({"opneai":{"model":"x"}})");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("'opneai'") != std::string::npos);
}

TEST_CASE("a mistyped or out-of-range value names the key") {
  Config cfg;
  auto s = cfg.apply_json(R"({"runtime":{"io_threads":"two"}})");
  CHECK(s.message().find("'runtime.io_threads'") != std::string::npos);
  s = cfg.apply_json(R"({"runtime":{"io_threads":0}})");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("runtime.io_threads") != std::string::npos);
  s = cfg.apply_json(R"({"openai":{"max_tool_rounds":1000}})");
  CHECK(s.message().find("openai.max_tool_rounds") != std::string::npos);
  s = cfg.apply_json(R"({"log":{"level":"chatty"}})");
  CHECK(s.message().find("log.level") != std::string::npos);
  s = cfg.apply_json(R"({"openai":"gpt-4o"})");
  CHECK(s.message().find("'openai'") != std::string::npos);
  CHECK(cfg.apply_json("[]").code() == StatusCode::kInvalidArgument);
  CHECK(cfg.apply_json("{").code() == StatusCode::kInvalidArgument);
}

TEST_CASE("environment overrides file values and accepts the provider key variables") {
  Config cfg;
  REQUIRE(cfg.apply_json(R"({"openai":{"base_url":"http://file:1/v1"}})").ok());
  REQUIRE(cfg.apply_environment({"PATH=/usr/bin", "VOXLINE_OPENAI_BASE_URL=http://127.0.0.1:9/v1",
                                 "OPENAI_API_KEY=sk-env-key-123456", "DEEPGRAM_API_KEY=dg-env-key",
                                 "VOXLINE_RUNTIME_IO_THREADS=2", "VOXLINE_TLS_INSECURE_SKIP_VERIFY=true",
                                 "VOXLINE_LOG_LEVEL=error"})
              .ok());
  CHECK(cfg.openai_base_url == "http://127.0.0.1:9/v1");
  CHECK(cfg.openai_api_key == "sk-env-key-123456");
  CHECK(cfg.deepgram_api_key == "dg-env-key");
  CHECK(cfg.io_threads == 2);
  CHECK(cfg.tls_insecure_skip_verify);
  CHECK(cfg.log_level == voxline::LogLevel::kError);
}

TEST_CASE("an unknown VOXLINE_ environment variable is rejected by name") {
  Config cfg;
  auto s = cfg.apply_environment({"VOXLINE_OPENAI_MODLE=gpt-4o"});
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("VOXLINE_OPENAI_MODLE") != std::string::npos);
  s = cfg.apply_environment({"VOXLINE_RUNTIME_IO_THREADS=lots"});
  CHECK(s.message().find("VOXLINE_RUNTIME_IO_THREADS") != std::string::npos);
  s = cfg.apply_environment({"VOXLINE_TLS_INSECURE_SKIP_VERIFY=maybe"});
  CHECK(s.message().find("VOXLINE_TLS_INSECURE_SKIP_VERIFY") != std::string::npos);
}

TEST_CASE("validate rejects URLs with the wrong scheme naming the key") {
  Config cfg;
  cfg.deepgram_stt_url = "https://api.deepgram.com/v1/listen";
  CHECK(cfg.validate().message().find("deepgram.stt_url") != std::string::npos);
  cfg = Config();
  cfg.openai_base_url = "ftp://x";
  CHECK(cfg.validate().message().find("openai.base_url") != std::string::npos);
  cfg = Config();
  cfg.session_store_url = "postgres://x";
  CHECK(cfg.validate().message().find("session_store.url") != std::string::npos);
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

TEST_CASE("to_json hides secrets unless asked and round-trips through apply_json") {
  Config cfg;
  cfg.openai_api_key = "sk-secret-value-1234";
  cfg.deepgram_api_key = "dg-secret-value-5678";
  cfg.max_tool_rounds = 4;
  const std::string shown = cfg.to_json();
  CHECK(shown.find("sk-secret-value-1234") == std::string::npos);
  CHECK(shown.find("\"api_key\":\"***\"") != std::string::npos);
  Config copy;
  REQUIRE(copy.apply_json(cfg.to_json(true)).ok());
  CHECK(copy.openai_api_key == cfg.openai_api_key);
  CHECK(copy.max_tool_rounds == 4);
  CHECK(copy.to_json(true) == cfg.to_json(true));
}

TEST_CASE("register_secrets makes the API keys vanish from log lines") {
  Config cfg;
  cfg.openai_api_key = "sk-live-abcdef";
  cfg.deepgram_api_key = "0123456789abcdef0123";
  voxline::Redactor r;
  cfg.register_secrets(r);
  CHECK(r.redact("openai=sk-live-abcdef dg=0123456789abcdef0123") == "openai=*** dg=***");
}

TEST_CASE("every documented key is known and addressable from the environment") {
  const auto names = Config::key_names();
  CHECK(names.size() >= 25);
  for (const std::string &name : names) {
    std::string env = "VOXLINE_" + name;
    for (char &c : env) c = c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    Config cfg;
    // A value of the wrong shape must fail naming that variable, proving the name is recognised.
    auto s = cfg.apply_environment({env + "=not-a-number-or-bool-or-level"});
    if (!s.ok()) CHECK_MESSAGE(s.message().find(env) != std::string::npos, env);
    CHECK_MESSAGE(s.message().find("unknown environment variable") == std::string::npos, env);
  }
}
