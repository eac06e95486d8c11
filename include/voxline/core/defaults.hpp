// File: defaults.hpp
// The one place where voxline's default timeouts and limits are written down. Config's defaults
// and every options struct (WsTimeouts, HttpTimeouts, RuntimeOptions, DnsOptions,
// RedisSessionStoreOptions, DatabaseOptions, SqliteOptions) take their values from here, so a
// default changes in one line and Config can never disagree with the code it configures.
//
//   struct WsTimeouts { Duration connect = defaults::kConnectTimeout; ... };
//   if (slots < defaults::kMinSlots || slots > defaults::kMaxSlots) return invalid_argument(...);
//
// Why these values: a phone caller hears every second of a stalled provider, so provider
// deadlines are short and a retry (net/retry_policy) is cheaper than a long wait; the session
// store and the database sit on the local network or disk and get shorter deadlines still.
// Thread-safety: constants.
#pragma once

#include <chrono>
#include <cstddef>

#include "voxline/core/clock.hpp"

namespace voxline::defaults {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Whole milliseconds of `d`, for the integer "*_ms" keys of Config.
constexpr int to_ms(Duration d) noexcept {
  return static_cast<int>(std::chrono::duration_cast<Millis>(d).count());
}

// --- provider connections (websocket and HTTP) ----------------------------------------------
inline constexpr Duration kConnectTimeout = seconds(5);          // DNS + TCP + TLS
inline constexpr Duration kWsHandshakeTimeout = seconds(5);      // the answer to the upgrade request
inline constexpr Duration kWsIdleTimeout = Duration::zero();     // no message for this long (0 = off)
inline constexpr Duration kWsSendTimeout = seconds(5);           // a queued message still unwritten
inline constexpr Duration kWsCloseTimeout = seconds(2);          // close() until the link is down
inline constexpr Duration kHttpFirstByteTimeout = seconds(15);   // request start to response head
inline constexpr Duration kHttpIdleTimeout = seconds(20);        // gap between two body chunks
inline constexpr Duration kHttpTotalTimeout = Duration::zero();  // whole request (0 = off)

// --- runtime -------------------------------------------------------------------------------
inline constexpr int kSlots = 1;  // event-loop slots (I/O threads) of a Runtime
inline constexpr int kMinSlots = 1;
inline constexpr int kMaxSlots = 16;  // more loops than cores only adds context switches
// Wake-up coalescing window of a busy slot (RuntimeOptions::io_coalesce): at 1000 calls on one
// slot it cut loop CPU by about a quarter (bench/net_bench); a barge-in budget is 2 ms.
inline constexpr int kIoCoalesceUs = 250;
inline constexpr int kMaxIoCoalesceUs = 10'000;

inline constexpr int kHttpMaxStreamsPerConnection = 16;  // HTTP/2 streams on one connection
// HTTP/1.1 keep-alive pool of a slot (the runtime's own client): an idle connection is closed
// after this long (servers drop theirs after 5-120 s; a request on one they already dropped is
// resent once on a fresh connection), and at most this many wait idle per origin.
inline constexpr Duration kHttp1KeepAliveIdle = seconds(50);
inline constexpr size_t kHttp1MaxIdlePerOrigin = 256;

// --- name resolution -----------------------------------------------------------------------
inline constexpr Duration kDnsTtl = seconds(60);         // a resolved answer is reused this long
inline constexpr Duration kDnsNegativeTtl = seconds(2);  // a failed lookup is remembered this long
// While the resolver fails, a name's last addresses are served up to this long past their TTL.
inline constexpr Duration kDnsMaxStale = seconds(300);
// An answer the waiter's executor refuses (queue full) is retried this long, then dropped.
inline constexpr Duration kDnsAnswerRetryLimit = milliseconds(250);

// --- worker pool (blocking work: database, Redis, host tools) -------------------------------
inline constexpr int kWorkerThreads = 4;
inline constexpr size_t kWorkerQueueCapacity = 256;  // jobs waiting for a worker
// A completion its executor refuses (queue full) is retried this long, then dropped.
inline constexpr Duration kWorkerCompletionRetryWindow = seconds(2);

// --- session store (Redis) -----------------------------------------------------------------
inline constexpr Millis kStoreConnectTimeout = milliseconds(1000);  // per connect attempt (LAN)
inline constexpr Millis kStoreBackoffInitial = milliseconds(50);    // after the first failed connect
inline constexpr Millis kStoreBackoffMax = milliseconds(2000);      // doubling up to this
inline constexpr size_t kStorePoolSize = 4;                         // connections at most

// --- database ------------------------------------------------------------------------------
inline constexpr Duration kDatabaseTimeout = seconds(5);    // begin() without a deadline: pool wait + work
inline constexpr Duration kSqliteBusyTimeout = seconds(5);  // lock waits retried this long
inline constexpr size_t kDatabasePoolSize = 4;              // connections at most

// --- health checks -------------------------------------------------------------------------
inline constexpr Duration kDatabaseHealthTimeout = seconds(30);  // integrity_check reads every page
inline constexpr Duration kStoreHealthTimeout = seconds(1);      // one PING, connecting if needed

}  // namespace voxline::defaults
