// File: session_store.hpp
// SessionStore: state shared by the calls of one process (MemorySessionStore) or of many
// processes on many machines (RedisSessionStore). It holds three kinds of data:
//   - per-call session documents: a JSON object with a TTL and a version number, read with
//     get_session, written with put_session / patch_session under compare-and-set;
//   - slot holds: a call reserves one unit of a bookable slot ("bay-2/2026-11-25T09:00") for N
//     seconds while it talks to the caller, then confirms it (hold -> booking count) after the
//     SQL appointment row is written, or releases it. Holds plus bookings never exceed the
//     capacity the caller passes; expired holds free their unit by themselves;
//   - per-caller rate limits: at most `limit` accepted calls per sliding `window`.
// Every operation takes a Deadline and returns TIMEOUT / UNAVAILABLE instead of blocking past it.
//
// Booking flow across processes (the ToolRouter's book_appointment):
//   VOXLINE_ASSIGN_OR_RETURN(SlotHold h, store.hold_slot(slot, call_id, bays, 120s, deadline));
//   Status s = appointments.insert(...);              // SQL transaction
//   if (!s.ok()) { store.release_slot(slot, call_id, deadline); return s; }
//   store.confirm_slot(slot, call_id, std::chrono::hours(24 * 14), deadline);
//
// Identifiers (call ids, slot ids, holder ids, caller ids) are 1..256 bytes of printable ASCII
// without spaces, '{' or '}' (braces would break Redis Cluster hash tags); anything else is
// INVALID_ARGUMENT. Documents are JSON objects of at most kMaxDocumentBytes.
//
// Ownership: the host creates a store and keeps it alive while sessions use it; there is no
// global instance. Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "voxline/core/deadline.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/health.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/core/result.hpp"

namespace voxline {

// A session document as stored.
struct SessionDocument {
  std::string json;         // compact JSON object text
  uint64_t version = 0;     // 1 after the first put, +1 after every successful write
  Millis ttl_remaining{0};  // time until the document expires
};

// The counts on one slot, after the operation that returned them.
struct SlotState {
  int holds = 0;   // live (unexpired) holds
  int booked = 0;  // confirmed bookings still retained
};

// A successful hold.
struct SlotHold {
  SlotState state;       // including this hold
  Millis expires_in{0};  // lifetime left of this hold
};

// The answer of the rate limiter for one attempt.
struct RateDecision {
  bool allowed = false;
  int remaining = 0;      // attempts still allowed in the current window after this one
  Millis retry_after{0};  // when denied: time until the oldest counted attempt leaves the window
};

// The public methods are the contract: they check arguments (INVALID_ARGUMENT), refuse a deadline
// that expired before the start (TIMEOUT), time the operation and count it in the store metrics,
// then call the backend's protected do_* method. A backend implements only the do_* methods.
class VOXLINE_API SessionStore {
 public:
  // put_session/patch_session `expected_version` values besides an exact version.
  static constexpr uint64_t kAnyVersion = std::numeric_limits<uint64_t>::max();  // unconditional
  static constexpr uint64_t kNewSession = 0;  // only if no live document exists
  static constexpr size_t kMaxDocumentBytes = 1u << 20;
  static constexpr size_t kMaxIdBytes = 256;
  static constexpr Millis kMaxTtl = std::chrono::hours(24 * 30);
  static constexpr int kMaxCapacity = 100000;

  virtual ~SessionStore();
  SessionStore(const SessionStore &) = delete;
  SessionStore &operator=(const SessionStore &) = delete;

  // "memory" or "redis".
  std::string_view backend() const noexcept { return backend_; }

  // --- session documents -------------------------------------------------------------------
  // The live document of `call_id`; NOT_FOUND when absent or expired.
  Result<SessionDocument> get_session(std::string_view call_id, const Deadline &deadline);
  // Replaces the document (a JSON object) and sets its TTL; returns the new version.
  // expected_version: kAnyVersion, kNewSession (CONFLICT if one exists) or an exact version
  // (NOT_FOUND if none exists, CONFLICT if it differs).
  Result<uint64_t> put_session(std::string_view call_id, std::string_view json, Millis ttl,
                               uint64_t expected_version, const Deadline &deadline);
  // Applies a JSON merge patch (RFC 7386; the patch is an object, null deletes a member) and
  // returns the stored result. `ttl` of 0 keeps the remaining TTL. With kAnyVersion a concurrent
  // writer makes it re-read and retry until the deadline; with an exact version it is one
  // compare-and-set (CONFLICT on mismatch).
  Result<SessionDocument> patch_session(std::string_view call_id, std::string_view merge_patch, Millis ttl,
                                        uint64_t expected_version, const Deadline &deadline);
  // Removes the document; NOT_FOUND when there was none.
  Status delete_session(std::string_view call_id, const Deadline &deadline);

  // --- slot holds ----------------------------------------------------------------------------
  // Holds one unit of `slot` for `holder` for `ttl`. CONFLICT when holds + bookings already
  // reach `capacity` (the message says when the earliest hold expires). Holding again as the same
  // holder refreshes the TTL and never takes a second unit.
  Result<SlotHold> hold_slot(std::string_view slot, std::string_view holder, int capacity, Millis ttl,
                             const Deadline &deadline);
  // Drops `holder`'s hold; NOT_FOUND when `holder` holds nothing live there (so one call can
  // never release another's hold).
  Status release_slot(std::string_view slot, std::string_view holder, const Deadline &deadline);
  // Turns `holder`'s live hold into a booking retained for `retention` (keeps the unit taken
  // after the hold would have expired); NOT_FOUND when `holder` holds nothing live there.
  Result<SlotState> confirm_slot(std::string_view slot, std::string_view holder, Millis retention,
                                 const Deadline &deadline);
  // Gives back one booked unit (appointment cancelled); NOT_FOUND when nothing is booked.
  Result<SlotState> cancel_booking(std::string_view slot, const Deadline &deadline);
  // The current counts of `slot` (zeros for an unknown slot).
  Result<SlotState> slot_state(std::string_view slot, const Deadline &deadline);

  // --- rate limiting -------------------------------------------------------------------------
  // Counts one attempt by `caller` if fewer than `limit` were accepted in the last `window`
  // (sliding). Denied attempts are not counted, so retrying does not extend the wait.
  Result<RateDecision> check_rate(std::string_view caller, int limit, Millis window,
                                  const Deadline &deadline);

  // --- health --------------------------------------------------------------------------------
  // Probes the backend (PING for Redis) and reports its latency; never blocks past `deadline`.
  // The component is "storage.session_store.<backend>".
  HealthCheck ping(const Deadline &deadline);

 protected:
  // `backend` labels the metrics and the health component; `registry` must outlive the store.
  SessionStore(std::string backend, MetricsRegistry &registry);
  // The instruments of this store, for backend-specific counters (reconnects, pool); defined in
  // the library's private sources.
  class Metrics;
  Metrics &store_metrics() noexcept { return *metrics_; }

  // Backend operations. Called with checked arguments (ids, TTLs, capacities, limits in range,
  // `json` already a compact JSON object) and a deadline that had not expired at the start.
  virtual Result<SessionDocument> do_get_session(std::string_view call_id, const Deadline &deadline) = 0;
  virtual Result<uint64_t> do_put_session(std::string_view call_id, std::string json, Millis ttl,
                                          uint64_t expected_version, const Deadline &deadline) = 0;
  // Default: read, merge, compare-and-set put, retried as patch_session describes.
  virtual Result<SessionDocument> do_patch_session(std::string_view call_id, std::string_view merge_patch,
                                                   Millis ttl, uint64_t expected_version,
                                                   const Deadline &deadline);
  virtual Status do_delete_session(std::string_view call_id, const Deadline &deadline) = 0;
  virtual Result<SlotHold> do_hold_slot(std::string_view slot, std::string_view holder, int capacity,
                                        Millis ttl, const Deadline &deadline) = 0;
  virtual Status do_release_slot(std::string_view slot, std::string_view holder,
                                 const Deadline &deadline) = 0;
  virtual Result<SlotState> do_confirm_slot(std::string_view slot, std::string_view holder, Millis retention,
                                            const Deadline &deadline) = 0;
  virtual Result<SlotState> do_cancel_booking(std::string_view slot, const Deadline &deadline) = 0;
  virtual Result<SlotState> do_slot_state(std::string_view slot, const Deadline &deadline) = 0;
  virtual Result<RateDecision> do_check_rate(std::string_view caller, int limit, Millis window,
                                             const Deadline &deadline) = 0;
  // Probes the backend; sets `detail` to what the health report shows (secrets redacted) on
  // success and on failure.
  virtual Status do_ping(const Deadline &deadline, std::string &detail) = 0;

 private:
  const std::string backend_;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace voxline
