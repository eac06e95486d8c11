// File: redis_scripts.hpp
// The Lua scripts that enforce every RedisSessionStore invariant atomically on the server.
// Each script touches only keys of one hash tag ({s:<call>}, {slot:<id>}, {rate:<caller>}), so
// it runs unchanged on Redis Cluster.
//
// Time: hold expiry and rate windows use the Redis server's clock (redis.call('TIME'), allowed
// in scripts since Redis 5 because scripts replicate their effects). Every process of a fleet
// then agrees on when a hold expires, whatever the skew between client machines; the client
// clock only bounds how long a client waits (Deadlines). Documents and bookings expire by
// PEXPIRE, also on the server's clock.
// Thread-safety: immutable data.
#pragma once

namespace voxline::detail {

enum class RedisScript : int {
  kGetSession,
  kPutSession,
  kHold,
  kRelease,
  kConfirm,
  kCancel,
  kSlotState,
  kRate,
  kCount
};

struct RedisScriptSource {
  const char *name;
  const char *lua;
};

const RedisScriptSource &redis_script(RedisScript script) noexcept;

}  // namespace voxline::detail
