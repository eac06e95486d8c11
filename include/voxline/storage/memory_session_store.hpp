// File: memory_session_store.hpp
// MemorySessionStore: the embedded SessionStore for one process (the default when no Redis URL
// is configured). All state lives in maps behind one mutex; expiry (documents, holds, bookings,
// rate windows) is measured on the injected Clock's monotonic time, so tests drive TTLs with a
// ManualClock. Expired entries are dropped when touched and by an amortised sweep, so memory
// stays proportional to live data; max_entries bounds it (QUEUE_FULL beyond).
//
//   MemorySessionStore store;                            // Clock::system(), global metrics
//   auto v = store.put_session("CA123", R"({"step":"greeting"})", std::chrono::minutes(30),
//                              SessionStore::kNewSession, Deadline::after(std::chrono::milliseconds(50)));
//
// Ownership: the Clock and MetricsRegistry must outlive the store.
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <cstddef>
#include <memory>

#include "voxline/core/clock.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/storage/session_store.hpp"

namespace voxline {

struct MemorySessionStoreOptions {
  const Clock *clock = nullptr;        // nullptr: Clock::system()
  MetricsRegistry *metrics = nullptr;  // nullptr: MetricsRegistry::global()
  size_t max_entries = 1'000'000;      // documents + slots + rate keys; beyond: QUEUE_FULL
};

class VOXLINE_API MemorySessionStore final : public SessionStore {
 public:
  explicit MemorySessionStore(MemorySessionStoreOptions options = {});
  ~MemorySessionStore() override;
  MemorySessionStore(const MemorySessionStore &) = delete;
  MemorySessionStore &operator=(const MemorySessionStore &) = delete;

  // Live entries (documents + slots + rate keys) after dropping expired ones; for tests/health.
  size_t live_entries();

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
  std::unique_ptr<Impl> impl_;
};

}  // namespace voxline
