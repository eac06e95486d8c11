// File: config.hpp
// Config: every setting of a voxline process, loaded from defaults, then a JSON file, then the
// environment (later sources win). Unknown keys are errors that name the key, so a typo never
// silently falls back to a default.
//
// JSON shape (every key optional):
//   {"log": {"level": "info"},
//    "runtime": {"io_threads": 1, "worker_threads": 2},
//    "deepgram": {"api_key": "...", "stt_url": "wss://api.deepgram.com/v1/listen",
//                 "tts_url": "wss://api.deepgram.com/v1/speak", "stt_model": "nova-3",
//                 "tts_model": "aura-2-thalia-en"},
//    "openai": {"api_key": "...", "base_url": "https://api.openai.com/v1", "model": "gpt-4o",
//               "max_tool_rounds": 5, "requests_per_minute": 500, "tokens_per_minute": 30000},
//    "tls": {"ca_file": "", "insecure_skip_verify": false},
//    "storage": {"sqlite_path": "voxline.db"},
//    "session_store": {"url": "memory://", "key_prefix": "voxline"},
//    "timeouts": {"connect_ms": 5000, "tls_handshake_ms": 5000, "first_byte_ms": 15000,
//                 "idle_ms": 20000, "send_ms": 5000, "close_ms": 2000, "tool_ms": 8000,
//                 "store_ms": 500}}
// Environment: VOXLINE_<SECTION>_<KEY> in upper case (VOXLINE_OPENAI_BASE_URL), plus
// DEEPGRAM_API_KEY and OPENAI_API_KEY. An unknown VOXLINE_* variable is an error too.
//
//   VOXLINE_ASSIGN_OR_RETURN(Config cfg, Config::load("agent.json"));
//   cfg.register_secrets(default_logger().redactor());
//
// Thread-safety: a Config is a plain value.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/log.hpp"
#include "voxline/core/redactor.hpp"
#include "voxline/core/result.hpp"

namespace voxline {

struct VOXLINE_API Config {
  LogLevel log_level = LogLevel::kWarn;

  int io_threads = 1;
  int worker_threads = 2;

  std::string deepgram_api_key;
  std::string deepgram_stt_url = "wss://api.deepgram.com/v1/listen";
  std::string deepgram_tts_url = "wss://api.deepgram.com/v1/speak";
  std::string deepgram_stt_model = "nova-3";
  std::string deepgram_tts_model = "aura-2-thalia-en";

  std::string openai_api_key;
  std::string openai_base_url = "https://api.openai.com/v1";
  std::string openai_model = "gpt-4o";
  int max_tool_rounds = 5;
  int requests_per_minute = 500;
  int tokens_per_minute = 30000;

  std::string tls_ca_file;  // empty: the system CA store
  bool tls_insecure_skip_verify = false;

  std::string sqlite_path = "voxline.db";
  std::string session_store_url = "memory://";
  std::string session_store_key_prefix = "voxline";

  int connect_timeout_ms = 5000;
  int tls_handshake_timeout_ms = 5000;
  int first_byte_timeout_ms = 15000;
  int idle_timeout_ms = 20000;
  int send_timeout_ms = 5000;
  int close_timeout_ms = 2000;
  int tool_timeout_ms = 8000;
  int store_timeout_ms = 500;

  // Overlays the keys present in a JSON document. On error nothing is changed.
  Status apply_json(std::string_view text);
  // Overlays a JSON file; errors name the file.
  Status apply_file(const std::string &path);
  // Overlays "NAME=value" entries (as in `environ`); entries not ours are ignored.
  Status apply_environment(const std::vector<std::string> &entries);
  // Overlays the process environment.
  Status apply_process_environment();

  // Range and shape checks across fields (URLs, thread counts, timeouts).
  Status validate() const;

  // Defaults, then `path` (skipped when empty), then the process environment, then validate().
  static Result<Config> load(const std::string &path = {});

  // JSON of every key; secrets appear as "***" unless `include_secrets`.
  std::string to_json(bool include_secrets = false) const;
  // Registers the API keys with `redactor` so no log line can carry them.
  void register_secrets(Redactor &redactor) const;

  // Every key name ("openai.base_url", ...), in document order.
  static std::vector<std::string> key_names();
};

}  // namespace voxline
