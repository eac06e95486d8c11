// File: config.hpp
// Config: every setting of a voxline process, loaded from defaults, then a JSON file, then the
// environment (later sources win). Unknown keys are errors that name the key, so a typo never
// silently falls back to a default.
//
// Every key has a consumer in the library today (the struct field it becomes is named below);
// keys for components that do not exist yet arrive with those components. Defaults and integer
// bounds come from core/defaults.hpp, the same constants the options structs use.
//
// JSON shape (every key optional):
//   {"log": {"level": "warn"},                          Logger::set_level
//    "runtime": {"slots": 1,                            RuntimeOptions::slots (event-loop threads)
//                "io_coalesce_us": 250},                RuntimeOptions::io_coalesce
//    "tls": {"ca_file": "", "insecure_skip_verify": false},   RuntimeOptions::tls
//    "storage": {"sqlite_path": "voxline.db"},          SqliteOptions::path
//    "database": {"url": ""},                           make_database (database_factory.hpp):
//                 sqlite:///path or postgresql://...;   empty: sqlite:// + storage.sqlite_path
//    "session_store": {"url": "memory://", "key_prefix": "voxline"},   SessionStoreConfig
//    "timeouts": {"connect_ms": 5000,                   WsTimeouts/HttpTimeouts::connect
//                 "handshake_ms": 5000,                 WsTimeouts::handshake
//                 "send_ms": 5000, "close_ms": 2000,    WsTimeouts::send / close
//                 "first_byte_ms": 15000,               HttpTimeouts::first_byte
//                 "idle_ms": 20000}}                    HttpTimeouts::idle (gap between chunks)
// Environment: VOXLINE_<SECTION>_<KEY> in upper case (VOXLINE_SESSION_STORE_URL). An unknown
// key or section in JSON is an error that names it, so a typo never silently falls back to a
// default. An unknown VOXLINE_* variable is only a warning (one log line per load naming all of
// them): the environment belongs to the embedding host, and other tools use the prefix too.
//
//   VOXLINE_ASSIGN_OR_RETURN(Config cfg, Config::load("agent.json"));
//   cfg.configure(default_logger());   // level + secrets (the store URLs' passwords)
//
// Thread-safety: a Config is a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/defaults.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/redactor.hpp"
#include "voxline/core/result.hpp"

namespace voxline {

struct VOXLINE_API Config {
  LogLevel log_level = LogLevel::kWarn;

  int slots = defaults::kSlots;                  // defaults::kMinSlots..kMaxSlots
  int io_coalesce_us = defaults::kIoCoalesceUs;  // 0..defaults::kMaxIoCoalesceUs, 0 = off

  std::string tls_ca_file;  // empty: the system CA store
  bool tls_insecure_skip_verify = false;

  std::string sqlite_path = "voxline.db";
  std::string database_url;  // empty: SQLite at sqlite_path; may carry a password like session_store_url
  std::string session_store_url = "memory://";  // may carry a password: see to_json/configure
  std::string session_store_key_prefix = "voxline";

  int connect_timeout_ms = defaults::to_ms(defaults::kConnectTimeout);
  int handshake_timeout_ms = defaults::to_ms(defaults::kWsHandshakeTimeout);
  int send_timeout_ms = defaults::to_ms(defaults::kWsSendTimeout);
  int close_timeout_ms = defaults::to_ms(defaults::kWsCloseTimeout);
  int first_byte_timeout_ms = defaults::to_ms(defaults::kHttpFirstByteTimeout);
  int idle_timeout_ms = defaults::to_ms(defaults::kHttpIdleTimeout);

  // Overlays the keys present in a JSON document. On error nothing is changed.
  Status apply_json(std::string_view text);
  // Overlays a JSON file; errors name the file.
  Status apply_file(const std::string &path);
  // Overlays "NAME=value" entries (as in `environ`). Entries without the VOXLINE_ prefix are
  // ignored; VOXLINE_* names that are no key are warned about on `log` (one line) and skipped;
  // a bad value for a known key is an error naming the variable.
  Status apply_environment(const std::vector<std::string> &entries, Logger &log = default_logger());
  // Overlays the process environment.
  Status apply_process_environment(Logger &log = default_logger());

  // Range and shape checks across fields (URLs, slot count, timeouts).
  Status validate() const;

  // Defaults, then `path` (skipped when empty), then the process environment, then validate().
  static Result<Config> load(const std::string &path = {}, Logger &log = default_logger());

  // JSON of every key; secrets (credentials inside session_store.url and database.url) appear as "***" unless
  // `include_secrets`.
  std::string to_json(bool include_secrets = false) const;
  // Registers the secrets this config holds (the store URLs' passwords) with `redactor`
  // so no log line can carry them.
  void register_secrets(Redactor &redactor) const;
  // Sets `log`'s level and registers the secrets with its redactor.
  void configure(Logger &log) const;

  // Every key name ("session_store.url", ...), in document order.
  static std::vector<std::string> key_names();
};

}  // namespace voxline
