// File: session_store_factory.hpp
// make_session_store: builds the SessionStore a configuration names, so hosts (and Config's
// "session_store": {"url", "key_prefix"}) pick the backend by URL:
//   "memory://"                              MemorySessionStore (one process)
//   "redis://[[user]:password@]host[:port][/db]"  RedisSessionStore (a fleet)
//
//   SessionStoreConfig c;
//   c.url = cfg.session_store_url;
//   c.key_prefix = cfg.session_store_key_prefix;
//   VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<SessionStore> store, make_session_store(c));
//
// Ownership: the caller owns the store; clock, metrics and logger must outlive it.
// Thread-safety: a pure function; the store it returns is thread-safe.
#pragma once

#include <memory>
#include <string>

#include "voxline/core/clock.hpp"
#include "voxline/core/config.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/health.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/storage/session_store.hpp"

namespace voxline {

struct SessionStoreConfig {
  std::string url = "memory://";
  std::string key_prefix = "voxline";                 // Redis only
  size_t redis_pool_size = defaults::kStorePoolSize;  // Redis only
  const Clock *clock = nullptr;                       // memory only; nullptr: Clock::system()
  MetricsRegistry *metrics = nullptr;                 // nullptr: MetricsRegistry::global()
  Logger *logger = nullptr;                           // Redis only; nullptr: default_logger()
};

// INVALID_ARGUMENT for an unknown scheme or bad options, UNSUPPORTED for rediss://. A Redis
// store connects lazily, so this never blocks; probe it with ping().
VOXLINE_API Result<std::unique_ptr<SessionStore>> make_session_store(const SessionStoreConfig &config);

// The Config keys session_store.url and session_store.key_prefix as a SessionStoreConfig.
VOXLINE_API SessionStoreConfig session_store_config(const Config &config);

// Registers `store`'s ping() with `registry` as "storage.session_store.<backend>". `store` must
// outlive the registration (HealthRegistry::remove() it first).
VOXLINE_API void add_health_check(HealthRegistry &registry, SessionStore &store,
                                  Duration timeout = defaults::kStoreHealthTimeout);

}  // namespace voxline
