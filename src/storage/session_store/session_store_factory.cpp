#include "voxline/storage/session_store_factory.hpp"

#include <string_view>
#include <utility>

#include "voxline/core/strings.hpp"
#include "voxline/storage/memory_session_store.hpp"
#include "voxline/storage/redis_session_store.hpp"

namespace voxline {

Result<std::unique_ptr<SessionStore>> make_session_store(const SessionStoreConfig &config) {
  const std::string_view url = config.url;
  if (iequals(url, "memory://") || iequals(url, "memory:")) {
    MemorySessionStoreOptions o;
    o.clock = config.clock;
    o.metrics = config.metrics;
    return std::unique_ptr<SessionStore>(std::make_unique<MemorySessionStore>(o));
  }
  if (istarts_with(url, "redis://") || istarts_with(url, "rediss://")) {
    RedisSessionStoreOptions o;
    o.url = config.url;
    o.key_prefix = config.key_prefix;
    o.pool_size = config.redis_pool_size;
    o.metrics = config.metrics;
    o.logger = config.logger;
    auto store = RedisSessionStore::create(std::move(o));
    if (!store.ok()) return store.status();
    return std::unique_ptr<SessionStore>(std::move(store).value());
  }
  // Only the scheme is echoed: the rest of a URL may hold a password.
  const size_t colon = url.find(':');
  return invalid_argument("session store URL must start with memory:// or redis://, got scheme '" +
                          std::string(url.substr(0, colon == std::string_view::npos ? 0 : colon)) + "'");
}

SessionStoreConfig session_store_config(const Config &config) {
  SessionStoreConfig c;
  c.url = config.session_store_url;
  c.key_prefix = config.session_store_key_prefix;
  return c;
}

void add_health_check(HealthRegistry &registry, SessionStore &store, Duration timeout) {
  registry.add("storage.session_store." + std::string(store.backend()), timeout,
               [&store](const Deadline &deadline) { return store.ping(deadline); });
}

}  // namespace voxline
