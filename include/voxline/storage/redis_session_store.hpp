// File: redis_session_store.hpp
// RedisSessionStore: the SessionStore shared by many processes on many machines, over hiredis
// 0.14 synchronous connections in a small pool.
//   - Deadlines: connect, AUTH/SELECT and every command run against the operation's Deadline
//     (poll on the socket for the remaining time); a connection that hit a timeout or an I/O
//     error is discarded and replaced, with exponential backoff between failed connects. An
//     operation that times out after sending may or may not have been applied (at most once).
//   - Keys: "<prefix>:{s:<call>}", "<prefix>:{slot:<id>}:holds|booked",
//     "<prefix>:{rate:<caller>}:log|seq". The braces are Redis Cluster hash tags: every script
//     touches one tag, so it runs on one cluster slot.
//   - Invariants (compare-and-set, capacity, holder-only release, rate windows) are Lua scripts,
//     loaded once with SCRIPT LOAD and called with EVALSHA; a NOSCRIPT reply (server restart,
//     SCRIPT FLUSH, failover) is answered by EVAL, which re-caches the script.
//   - Time: holds and rate windows use the server's clock (TIME inside the scripts), documents
//     and bookings PEXPIRE, so all processes agree regardless of client clock skew.
//   - No global state: the host creates each store from a URL; the password is registered with
//     the logger's redactor and only the redacted URL appears in messages.
//
//   RedisSessionStoreOptions o;
//   o.url = "redis://:s3cret@10.0.0.5:6379/2";
//   VOXLINE_ASSIGN_OR_RETURN(auto store, RedisSessionStore::create(o));   // does not connect yet
//   HealthCheck h = store->ping(Deadline::after(std::chrono::milliseconds(200)));
//
// Ownership: MetricsRegistry and Logger must outlive the store; destroy the store only after
// every call on it has returned. Thread-safety: every method may be called concurrently.
#pragma once

#include <memory>
#include <string>

#include "voxline/core/defaults.hpp"
#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/storage/session_store.hpp"

namespace voxline {

struct RedisSessionStoreOptions {
  std::string url = "redis://127.0.0.1:6379/0";             // redis://[[user]:password@]host[:port][/db]
  std::string key_prefix = "voxline";                       // same id rules as SessionStore ids
  size_t pool_size = defaults::kStorePoolSize;              // connections at most (1..256)
  Millis connect_timeout = defaults::kStoreConnectTimeout;  // per connect attempt, never past the op deadline
  Millis backoff_initial = defaults::kStoreBackoffInitial;  // after the first failed connect
  Millis backoff_max = defaults::kStoreBackoffMax;          // doubling up to this
  MetricsRegistry *metrics = nullptr;                       // nullptr: MetricsRegistry::global()
  Logger *logger = nullptr;                                 // nullptr: default_logger()
};

class VOXLINE_API RedisSessionStore final : public SessionStore {
 public:
  // Validates the options (INVALID_ARGUMENT, or UNSUPPORTED for rediss://); connects lazily.
  static Result<std::unique_ptr<RedisSessionStore>> create(RedisSessionStoreOptions options);
  ~RedisSessionStore() override;
  RedisSessionStore(const RedisSessionStore &) = delete;
  RedisSessionStore &operator=(const RedisSessionStore &) = delete;

  // The URL with credentials masked, for logs and health output.
  const std::string &redacted_url() const noexcept;

 protected:
  Result<SessionDocument> do_get_session(std::string_view call_id, const Deadline &deadline) override;
  Result<uint64_t> do_put_session(std::string_view call_id, std::string json, Millis ttl,
                                  uint64_t expected_version, const Deadline &deadline) override;
  Status do_delete_session(std::string_view call_id, const Deadline &deadline) override;
  Result<SlotHold> do_hold_slot(std::string_view slot, std::string_view holder, int capacity, Millis ttl,
                                const Deadline &deadline) override;
  Status do_release_slot(std::string_view slot, std::string_view holder, const Deadline &deadline) override;
  Result<SlotState> do_confirm_slot(std::string_view slot, std::string_view holder, Millis retention,
                                    const Deadline &deadline) override;
  Result<SlotState> do_cancel_booking(std::string_view slot, const Deadline &deadline) override;
  Result<SlotState> do_slot_state(std::string_view slot, const Deadline &deadline) override;
  Result<RateDecision> do_check_rate(std::string_view caller, int limit, Millis window,
                                     const Deadline &deadline) override;
  Status do_ping(const Deadline &deadline, std::string &detail) override;

 private:
  struct Impl;
  struct Setup;
  explicit RedisSessionStore(Setup setup);
  std::unique_ptr<Impl> impl_;
};

}  // namespace voxline
