#include "storage/session_store/redis_scripts.hpp"

namespace voxline::detail {

namespace {

// Server time in milliseconds; shared prologue of the slot and rate scripts.
#define VOXLINE_LUA_NOW            \
  "local t = redis.call('TIME')\n" \
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

// KEYS[1] session hash {d: document, v: version}. Returns nil or {document, version, pttl}.
constexpr const char *kGetSession = R"lua(
local r = redis.call('HMGET', KEYS[1], 'd', 'v')
if not r[1] or not r[2] then return false end
return {r[1], tonumber(r[2]), redis.call('PTTL', KEYS[1])}
)lua";

// KEYS[1] session hash; ARGV document, expected ('any' | version; 0 = must not exist), ttl ms.
// Returns {1, new version} | {-1, current version} (CONFLICT) | {-2, 0} (NOT_FOUND).
constexpr const char *kPutSession = R"lua(
local cur = redis.call('HGET', KEYS[1], 'v')
if ARGV[2] ~= 'any' then
  local e = tonumber(ARGV[2])
  if e == 0 then
    if cur then return {-1, tonumber(cur)} end
  else
    if not cur then return {-2, 0} end
    if tonumber(cur) ~= e then return {-1, tonumber(cur)} end
  end
end
local v = 1
if cur then v = tonumber(cur) + 1 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'v', v)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, v}
)lua";

// KEYS[1] holds zset (member holder, score expiry ms), KEYS[2] booked counter.
// ARGV holder, capacity, ttl ms. Returns {1, holds, booked, ttl} or {0, holds, booked,
// ms until the earliest hold expires or -1}.
constexpr const char *kHold = VOXLINE_LUA_NOW R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local booked = tonumber(redis.call('GET', KEYS[2]) or '0')
local cap = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local mine = redis.call('ZSCORE', KEYS[1], ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
if not mine and n + booked >= cap then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = -1
  if first[2] then wait = tonumber(first[2]) - now end
  return {0, n, booked, wait}
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
if not mine then n = n + 1 end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], tonumber(last[2]) - now + 1000)
return {1, n, booked, ttl}
)lua";

// KEYS[1] holds zset; ARGV holder. Returns 1 when a live hold was dropped, else 0.
constexpr const char *kRelease = VOXLINE_LUA_NOW R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZREM', KEYS[1], ARGV[1])
)lua";

// KEYS[1] holds zset, KEYS[2] booked counter; ARGV holder, retention ms.
// Returns {1, holds, booked} or {0, holds, booked} when the holder holds nothing live.
constexpr const char *kConfirm = VOXLINE_LUA_NOW R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
  return {0, redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[2]) or '0')}
end
local booked = redis.call('INCR', KEYS[2])
local ret = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[2]) < ret then redis.call('PEXPIRE', KEYS[2], ret) end
return {1, redis.call('ZCARD', KEYS[1]), booked}
)lua";

// KEYS[1] holds zset, KEYS[2] booked counter. Returns {1, holds, booked} or {0, holds, 0}.
constexpr const char *kCancel = VOXLINE_LUA_NOW R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
local b = tonumber(redis.call('GET', KEYS[2]) or '0')
if b <= 0 then return {0, n, 0} end
b = redis.call('DECR', KEYS[2])
if b <= 0 then redis.call('DEL', KEYS[2]) end
return {1, n, b}
)lua";

// KEYS[1] holds zset, KEYS[2] booked counter. Returns {holds, booked}.
constexpr const char *kSlotState = VOXLINE_LUA_NOW R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return {redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[2]) or '0')}
)lua";

// KEYS[1] accepted-attempts zset (score ms), KEYS[2] member sequence; ARGV limit, window ms.
// Returns {1, remaining, 0} or {0, 0, retry after ms}.
constexpr const char *kRate = VOXLINE_LUA_NOW R"lua(
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local idx = n - limit
  local e = redis.call('ZRANGE', KEYS[1], idx, idx, 'WITHSCORES')
  local wait = tonumber(e[2]) + window - now
  if wait < 1 then wait = 1 end
  return {0, 0, wait}
end
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], now, seq)
redis.call('PEXPIRE', KEYS[1], window)
redis.call('PEXPIRE', KEYS[2], window)
return {1, limit - n - 1, 0}
)lua";

#undef VOXLINE_LUA_NOW

constexpr RedisScriptSource kScripts[] = {
    {"get_session", kGetSession},
    {"put_session", kPutSession},
    {"hold", kHold},
    {"release", kRelease},
    {"confirm", kConfirm},
    {"cancel", kCancel},
    {"slot_state", kSlotState},
    {"rate", kRate},
};
static_assert(sizeof(kScripts) / sizeof(kScripts[0]) == static_cast<int>(RedisScript::kCount),
              "one source per RedisScript");

}  // namespace

const RedisScriptSource &redis_script(RedisScript script) noexcept {
  const int i = static_cast<int>(script);
  return kScripts[(i >= 0 && i < static_cast<int>(RedisScript::kCount)) ? i : 0];
}

}  // namespace voxline::detail
