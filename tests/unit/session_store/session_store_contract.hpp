// File: session_store_contract.hpp
// The one contract every SessionStore backend must meet, written once and run on each backend:
// tests/unit/session_store (memory, ManualClock) and tests/integration/session_store (a real
// redis-server). A backend test file defines a harness factory and expands the case list:
//
//   #define X(fn, name) TEST_CASE("memory: " name) { run_contract<MemoryHarnessFactory>(&contract::fn); }
//   VOXLINE_SESSION_STORE_CONTRACT_CASES(X)
//   #undef X
//
// Time: each harness says how time passes for its store (ManualClock::advance for memory, a real
// sleep for Redis, whose holds and TTLs run on the server's clock) and how short a TTL it can
// test without flakiness.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "voxline/core/json.hpp"
#include "voxline/storage/session_store.hpp"

namespace voxline::testing {

class StoreHarness {
 public:
  virtual ~StoreHarness() = default;
  virtual SessionStore &store() = 0;
  // Lets `d` pass as seen by the store's expiry clock.
  virtual void let_time_pass(Duration d) = 0;
  // The shortest TTL the harness can observe both alive and, after 1.5x, expired.
  virtual Millis short_ttl() const = 0;
  // A generous deadline for one operation.
  Deadline deadline() const { return Deadline::after(std::chrono::seconds(5)); }
};

// Runs `fn` on a fresh harness; Factory::make() returns nullptr when the backend is unavailable
// (it has already reported that loudly, or failed the test under CI=true).
template <typename Factory>
void run_contract(void (*fn)(StoreHarness &)) {
  std::unique_ptr<StoreHarness> h = Factory::make();
  if (!h) return;
  fn(*h);
}

#define VOXLINE_REQUIRE_OK(expr)                                  \
  do {                                                            \
    const auto &voxline_r_ = (expr);                              \
    REQUIRE_MESSAGE(voxline_r_.ok(), status_text_of(voxline_r_)); \
  } while (0)

inline std::string status_text_of(const Status &s) {
  return s.to_string();
}
template <typename T>
std::string status_text_of(const Result<T> &r) {
  return r.status().to_string();
}
template <typename T>
StatusCode code_of(const Result<T> &r) {
  return r.status().code();
}
inline StatusCode code_of(const Status &s) {
  return s.code();
}

namespace contract {

using std::chrono::milliseconds;
using std::chrono::seconds;

inline void put_then_get(StoreHarness &h) {
  SessionStore &s = h.store();
  auto v = s.put_session("CA-1", R"({ "step" : "greeting", "n": 1 })", seconds(60), SessionStore::kNewSession,
                         h.deadline());
  VOXLINE_REQUIRE_OK(v);
  CHECK(*v == 1);
  auto doc = s.get_session("CA-1", h.deadline());
  VOXLINE_REQUIRE_OK(doc);
  CHECK(doc->json == R"({"step":"greeting","n":1})");
  CHECK(doc->version == 1);
  CHECK(doc->ttl_remaining > Millis(0));
  CHECK(doc->ttl_remaining <= Millis(60000));
}

inline void get_unknown_is_not_found(StoreHarness &h) {
  auto doc = h.store().get_session("CA-missing", h.deadline());
  CHECK(code_of(doc) == StatusCode::kNotFound);
}

inline void versions_compare_and_set(StoreHarness &h) {
  SessionStore &s = h.store();
  VOXLINE_REQUIRE_OK(
      s.put_session("CA-2", R"({"a":1})", seconds(60), SessionStore::kNewSession, h.deadline()));
  // A second create loses.
  CHECK(code_of(s.put_session("CA-2", R"({"a":2})", seconds(60), SessionStore::kNewSession, h.deadline())) ==
        StatusCode::kConflict);
  auto v2 = s.put_session("CA-2", R"({"a":2})", seconds(60), 1, h.deadline());
  VOXLINE_REQUIRE_OK(v2);
  CHECK(*v2 == 2);
  // A writer still at version 1 is refused and changes nothing.
  CHECK(code_of(s.put_session("CA-2", R"({"a":3})", seconds(60), 1, h.deadline())) == StatusCode::kConflict);
  auto doc = s.get_session("CA-2", h.deadline());
  VOXLINE_REQUIRE_OK(doc);
  CHECK(doc->json == R"({"a":2})");
  CHECK(doc->version == 2);
  auto v3 = s.put_session("CA-2", R"({"a":4})", seconds(60), SessionStore::kAnyVersion, h.deadline());
  VOXLINE_REQUIRE_OK(v3);
  CHECK(*v3 == 3);
  // An exact version on a missing document is NOT_FOUND, not a silent create.
  CHECK(code_of(s.put_session("CA-none", R"({})", seconds(60), 4, h.deadline())) == StatusCode::kNotFound);
  CHECK(code_of(s.get_session("CA-none", h.deadline())) == StatusCode::kNotFound);
}

inline void session_expires_after_ttl(StoreHarness &h) {
  SessionStore &s = h.store();
  const Millis ttl = h.short_ttl();
  VOXLINE_REQUIRE_OK(s.put_session("CA-3", R"({"x":true})", ttl, SessionStore::kNewSession, h.deadline()));
  VOXLINE_REQUIRE_OK(s.get_session("CA-3", h.deadline()));
  h.let_time_pass(ttl + ttl / 2);
  CHECK(code_of(s.get_session("CA-3", h.deadline())) == StatusCode::kNotFound);
  // An expired document can be created afresh and starts again at version 1.
  auto v = s.put_session("CA-3", R"({"x":false})", seconds(60), SessionStore::kNewSession, h.deadline());
  VOXLINE_REQUIRE_OK(v);
  CHECK(*v == 1);
}

inline void patch_merges_and_bumps_version(StoreHarness &h) {
  SessionStore &s = h.store();
  VOXLINE_REQUIRE_OK(s.put_session("CA-4",
                                   R"({"caller":{"name":"Ana","phone":"+15550100"},"step":"ask","tmp":1})",
                                   seconds(60), SessionStore::kNewSession, h.deadline()));
  auto doc = s.patch_session(
      "CA-4", R"({"caller":{"phone":null,"vin":"1HGCM82633A004352"},"tmp":null,"step":"book"})", Millis(0),
      SessionStore::kAnyVersion, h.deadline());
  VOXLINE_REQUIRE_OK(doc);
  CHECK(doc->version == 2);
  auto parsed = json::parse(doc->json);
  VOXLINE_REQUIRE_OK(parsed);
  CHECK(json::to_string(*parsed) == R"({"caller":{"name":"Ana","vin":"1HGCM82633A004352"},"step":"book"})");
  auto stored = s.get_session("CA-4", h.deadline());
  VOXLINE_REQUIRE_OK(stored);
  CHECK(stored->json == doc->json);
  CHECK(stored->version == 2);
  CHECK(stored->ttl_remaining > Millis(0));
}

inline void patch_with_stale_version_conflicts(StoreHarness &h) {
  SessionStore &s = h.store();
  VOXLINE_REQUIRE_OK(
      s.put_session("CA-5", R"({"n":1})", seconds(60), SessionStore::kNewSession, h.deadline()));
  VOXLINE_REQUIRE_OK(
      s.put_session("CA-5", R"({"n":2})", seconds(60), SessionStore::kAnyVersion, h.deadline()));
  auto stale = s.patch_session("CA-5", R"({"n":99})", Millis(0), 1, h.deadline());
  CHECK(code_of(stale) == StatusCode::kConflict);
  auto doc = s.get_session("CA-5", h.deadline());
  VOXLINE_REQUIRE_OK(doc);
  CHECK(doc->json == R"({"n":2})");
  auto fresh = s.patch_session("CA-5", R"({"n":3})", seconds(30), 2, h.deadline());
  VOXLINE_REQUIRE_OK(fresh);
  CHECK(fresh->version == 3);
  CHECK(code_of(s.patch_session("CA-missing", R"({"n":1})", Millis(0), SessionStore::kAnyVersion,
                                h.deadline())) == StatusCode::kNotFound);
}

// Lost updates would drop fields: every thread's every patch must survive.
inline void concurrent_patches_lose_no_update(StoreHarness &h) {
  SessionStore &s = h.store();
  VOXLINE_REQUIRE_OK(s.put_session("CA-6", R"({})", seconds(60), SessionStore::kNewSession, h.deadline()));
  constexpr int kThreads = 6, kPatches = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPatches; ++i) {
        auto r = s.patch_session("CA-6", fmt::format(R"({{"t{}_{}":{}}})", t, i, i), Millis(0),
                                 SessionStore::kAnyVersion, Deadline::after(seconds(10)));
        if (!r.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto &th : threads) th.join();
  CHECK(failures.load() == 0);
  auto doc = s.get_session("CA-6", h.deadline());
  VOXLINE_REQUIRE_OK(doc);
  CHECK(doc->version == 1 + kThreads * kPatches);
  auto parsed = json::parse(doc->json);
  VOXLINE_REQUIRE_OK(parsed);
  CHECK(parsed->MemberCount() == static_cast<unsigned>(kThreads * kPatches));
}

inline void delete_removes_document(StoreHarness &h) {
  SessionStore &s = h.store();
  VOXLINE_REQUIRE_OK(s.put_session("CA-7", R"({})", seconds(60), SessionStore::kNewSession, h.deadline()));
  VOXLINE_REQUIRE_OK(s.delete_session("CA-7", h.deadline()));
  CHECK(code_of(s.get_session("CA-7", h.deadline())) == StatusCode::kNotFound);
  CHECK(code_of(s.delete_session("CA-7", h.deadline())) == StatusCode::kNotFound);
}

inline void bad_arguments_are_invalid_argument(StoreHarness &h) {
  SessionStore &s = h.store();
  const auto d = h.deadline();
  const auto bad = StatusCode::kInvalidArgument;
  CHECK(code_of(s.get_session("", d)) == bad);
  CHECK(code_of(s.get_session("has space", d)) == bad);
  CHECK(code_of(s.get_session("brace{tag}", d)) == bad);
  CHECK(code_of(s.get_session(std::string(300, 'a'), d)) == bad);
  CHECK(code_of(s.get_session(std::string("nul\0byte", 8), d)) == bad);
  CHECK(code_of(s.put_session("CA-8", "[1,2]", seconds(5), SessionStore::kAnyVersion, d)) == bad);
  CHECK(code_of(s.put_session("CA-8", "{\"a\":", seconds(5), SessionStore::kAnyVersion, d)) == bad);
  CHECK(code_of(s.put_session("CA-8", "{}", Millis(0), SessionStore::kAnyVersion, d)) == bad);
  CHECK(code_of(s.put_session("CA-8", "{}", Millis(-5), SessionStore::kAnyVersion, d)) == bad);
  CHECK(code_of(s.put_session("CA-8", std::string(SessionStore::kMaxDocumentBytes + 1, ' '), seconds(5),
                              SessionStore::kAnyVersion, d)) == bad);
  VOXLINE_REQUIRE_OK(s.put_session("CA-8", "{}", seconds(5), SessionStore::kAnyVersion, d));
  CHECK(code_of(s.patch_session("CA-8", "[]", Millis(0), SessionStore::kAnyVersion, d)) == bad);
  CHECK(code_of(s.patch_session("CA-8", "{", Millis(0), SessionStore::kAnyVersion, d)) == bad);
  CHECK(code_of(s.hold_slot("slot", "CA-8", 0, seconds(5), d)) == bad);
  CHECK(code_of(s.hold_slot("slot", "CA-8", -1, seconds(5), d)) == bad);
  CHECK(code_of(s.hold_slot("slot", "", 1, seconds(5), d)) == bad);
  CHECK(code_of(s.hold_slot("slot", "CA-8", 1, Millis(0), d)) == bad);
  CHECK(code_of(s.check_rate("+15550100", 0, seconds(1), d)) == bad);
  CHECK(code_of(s.check_rate("+15550100", 1, Millis(0), d)) == bad);
  // Nothing was written by the refused calls.
  auto st = s.slot_state("slot", d);
  VOXLINE_REQUIRE_OK(st);
  CHECK(st->holds == 0);
}

inline void expired_deadline_is_timeout(StoreHarness &h) {
  SessionStore &s = h.store();
  const Deadline past = Deadline::after(Duration::zero());
  CHECK(code_of(s.put_session("CA-9", "{}", seconds(5), SessionStore::kAnyVersion, past)) ==
        StatusCode::kTimeout);
  CHECK(code_of(s.hold_slot("slot-9", "CA-9", 1, seconds(5), past)) == StatusCode::kTimeout);
  CHECK(code_of(s.get_session("CA-9", h.deadline())) == StatusCode::kNotFound);
  auto st = s.slot_state("slot-9", h.deadline());
  VOXLINE_REQUIRE_OK(st);
  CHECK(st->holds == 0);
}

inline void holds_stop_at_capacity(StoreHarness &h) {
  SessionStore &s = h.store();
  auto a = s.hold_slot("bay-1/09:00", "CA-a", 2, seconds(60), h.deadline());
  VOXLINE_REQUIRE_OK(a);
  CHECK(a->state.holds == 1);
  CHECK(a->expires_in > Millis(0));
  CHECK(a->expires_in <= Millis(60000));
  auto b = s.hold_slot("bay-1/09:00", "CA-b", 2, seconds(60), h.deadline());
  VOXLINE_REQUIRE_OK(b);
  CHECK(b->state.holds == 2);
  auto c = s.hold_slot("bay-1/09:00", "CA-c", 2, seconds(60), h.deadline());
  CHECK(code_of(c) == StatusCode::kConflict);
  CHECK(c.status().message().find("full") != std::string::npos);
  // Another slot is independent.
  VOXLINE_REQUIRE_OK(s.hold_slot("bay-1/10:00", "CA-c", 2, seconds(60), h.deadline()));
  auto st = s.slot_state("bay-1/09:00", h.deadline());
  VOXLINE_REQUIRE_OK(st);
  CHECK(st->holds == 2);
  CHECK(st->booked == 0);
}

inline void rehold_by_same_holder_refreshes_without_second_unit(StoreHarness &h) {
  SessionStore &s = h.store();
  VOXLINE_REQUIRE_OK(s.hold_slot("bay-2/09:00", "CA-a", 2, seconds(10), h.deadline()));
  auto again = s.hold_slot("bay-2/09:00", "CA-a", 2, seconds(60), h.deadline());
  VOXLINE_REQUIRE_OK(again);
  CHECK(again->state.holds == 1);
  CHECK(again->expires_in > Millis(10000));
  VOXLINE_REQUIRE_OK(s.hold_slot("bay-2/09:00", "CA-b", 2, seconds(60), h.deadline()));
  // Full now, but the existing holder may still refresh.
  VOXLINE_REQUIRE_OK(s.hold_slot("bay-2/09:00", "CA-a", 2, seconds(60), h.deadline()));
  CHECK(code_of(s.hold_slot("bay-2/09:00", "CA-c", 2, seconds(60), h.deadline())) == StatusCode::kConflict);
}

inline void release_only_by_holder(StoreHarness &h) {
  SessionStore &s = h.store();
  VOXLINE_REQUIRE_OK(s.hold_slot("bay-3/09:00", "CA-a", 1, seconds(60), h.deadline()));
  CHECK(code_of(s.release_slot("bay-3/09:00", "CA-b", h.deadline())) == StatusCode::kNotFound);
  CHECK(code_of(s.hold_slot("bay-3/09:00", "CA-b", 1, seconds(60), h.deadline())) == StatusCode::kConflict);
  VOXLINE_REQUIRE_OK(s.release_slot("bay-3/09:00", "CA-a", h.deadline()));
  CHECK(code_of(s.release_slot("bay-3/09:00", "CA-a", h.deadline())) == StatusCode::kNotFound);
  VOXLINE_REQUIRE_OK(s.hold_slot("bay-3/09:00", "CA-b", 1, seconds(60), h.deadline()));
  CHECK(code_of(s.release_slot("never-held", "CA-a", h.deadline())) == StatusCode::kNotFound);
}

inline void confirm_turns_hold_into_booking(StoreHarness &h) {
  SessionStore &s = h.store();
  const std::string slot = "bay-4/09:00";
  VOXLINE_REQUIRE_OK(s.hold_slot(slot, "CA-a", 2, seconds(60), h.deadline()));
  CHECK(code_of(s.confirm_slot(slot, "CA-b", std::chrono::hours(1), h.deadline())) == StatusCode::kNotFound);
  auto st = s.confirm_slot(slot, "CA-a", std::chrono::hours(1), h.deadline());
  VOXLINE_REQUIRE_OK(st);
  CHECK(st->holds == 0);
  CHECK(st->booked == 1);
  // The hold is gone (confirming twice is refused), the unit stays taken by the booking.
  CHECK(code_of(s.confirm_slot(slot, "CA-a", std::chrono::hours(1), h.deadline())) == StatusCode::kNotFound);
  CHECK(code_of(s.release_slot(slot, "CA-a", h.deadline())) == StatusCode::kNotFound);
  VOXLINE_REQUIRE_OK(s.hold_slot(slot, "CA-b", 2, seconds(60), h.deadline()));
  CHECK(code_of(s.hold_slot(slot, "CA-c", 2, seconds(60), h.deadline())) == StatusCode::kConflict);
  VOXLINE_REQUIRE_OK(s.confirm_slot(slot, "CA-b", std::chrono::hours(1), h.deadline()));
  auto full = s.slot_state(slot, h.deadline());
  VOXLINE_REQUIRE_OK(full);
  CHECK(full->holds == 0);
  CHECK(full->booked == 2);
  CHECK(code_of(s.hold_slot(slot, "CA-c", 2, seconds(60), h.deadline())) == StatusCode::kConflict);
}

inline void cancel_booking_frees_a_unit(StoreHarness &h) {
  SessionStore &s = h.store();
  const std::string slot = "bay-5/09:00";
  CHECK(code_of(s.cancel_booking(slot, h.deadline())) == StatusCode::kNotFound);
  VOXLINE_REQUIRE_OK(s.hold_slot(slot, "CA-a", 1, seconds(60), h.deadline()));
  VOXLINE_REQUIRE_OK(s.confirm_slot(slot, "CA-a", std::chrono::hours(1), h.deadline()));
  CHECK(code_of(s.hold_slot(slot, "CA-b", 1, seconds(60), h.deadline())) == StatusCode::kConflict);
  auto st = s.cancel_booking(slot, h.deadline());
  VOXLINE_REQUIRE_OK(st);
  CHECK(st->booked == 0);
  VOXLINE_REQUIRE_OK(s.hold_slot(slot, "CA-b", 1, seconds(60), h.deadline()));
  CHECK(code_of(s.cancel_booking(slot, h.deadline())) == StatusCode::kNotFound);
}

inline void expired_holds_free_the_slot(StoreHarness &h) {
  SessionStore &s = h.store();
  const Millis ttl = h.short_ttl();
  const std::string slot = "bay-6/09:00";
  VOXLINE_REQUIRE_OK(s.hold_slot(slot, "CA-a", 2, ttl, h.deadline()));
  VOXLINE_REQUIRE_OK(s.hold_slot(slot, "CA-b", 2, seconds(60), h.deadline()));
  CHECK(code_of(s.hold_slot(slot, "CA-c", 2, seconds(60), h.deadline())) == StatusCode::kConflict);
  h.let_time_pass(ttl + ttl / 2);
  auto st = s.slot_state(slot, h.deadline());
  VOXLINE_REQUIRE_OK(st);
  CHECK(st->holds == 1);
  // The expired holder can neither confirm nor release any more; a newcomer gets the unit.
  CHECK(code_of(s.confirm_slot(slot, "CA-a", std::chrono::hours(1), h.deadline())) == StatusCode::kNotFound);
  CHECK(code_of(s.release_slot(slot, "CA-a", h.deadline())) == StatusCode::kNotFound);
  VOXLINE_REQUIRE_OK(s.hold_slot(slot, "CA-c", 2, seconds(60), h.deadline()));
}

inline void bookings_expire_after_retention(StoreHarness &h) {
  SessionStore &s = h.store();
  const Millis ttl = h.short_ttl();
  const std::string slot = "bay-7/09:00";
  VOXLINE_REQUIRE_OK(s.hold_slot(slot, "CA-a", 1, seconds(60), h.deadline()));
  VOXLINE_REQUIRE_OK(s.confirm_slot(slot, "CA-a", ttl, h.deadline()));
  CHECK(code_of(s.hold_slot(slot, "CA-b", 1, seconds(60), h.deadline())) == StatusCode::kConflict);
  h.let_time_pass(ttl + ttl / 2);
  VOXLINE_REQUIRE_OK(s.hold_slot(slot, "CA-b", 1, seconds(60), h.deadline()));
}

inline void rate_limit_counts_per_window(StoreHarness &h) {
  SessionStore &s = h.store();
  const Millis window = h.short_ttl() * 2;
  for (int i = 0; i < 3; ++i) {
    auto d = s.check_rate("+15550123", 3, window, h.deadline());
    VOXLINE_REQUIRE_OK(d);
    CHECK(d->allowed);
    CHECK(d->remaining == 2 - i);
  }
  auto denied = s.check_rate("+15550123", 3, window, h.deadline());
  VOXLINE_REQUIRE_OK(denied);
  CHECK_FALSE(denied->allowed);
  CHECK(denied->retry_after > Millis(0));
  CHECK(denied->retry_after <= window);
  // Another caller has its own budget.
  auto other = s.check_rate("+15550999", 3, window, h.deadline());
  VOXLINE_REQUIRE_OK(other);
  CHECK(other->allowed);
  // Denied attempts are not counted: once the window has slid past, the caller is allowed again.
  h.let_time_pass(window + window / 4);
  auto again = s.check_rate("+15550123", 3, window, h.deadline());
  VOXLINE_REQUIRE_OK(again);
  CHECK(again->allowed);
  CHECK(again->remaining == 2);
}

inline void ping_reports_latency(StoreHarness &h) {
  HealthCheck c = h.store().ping(h.deadline());
  CHECK_MESSAGE(c.ok, c.detail);
  CHECK(c.component.find(std::string(h.store().backend())) != std::string::npos);
  CHECK(c.latency_ms >= 0);
  CHECK(c.latency_ms < 5000);
}

// 16 callers race for the same slot of capacity 2, 50 times: exactly 2 win every round.
inline void race_16_threads_capacity_2_exactly_2_winners(StoreHarness &h) {
  SessionStore &s = h.store();
  constexpr int kThreads = 16, kRounds = 50, kCapacity = 2;
  int bad_rounds = 0, errors = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string slot = fmt::format("race/{}", round);
    std::atomic<int> winners{0}, conflicts{0}, others{0}, ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        auto r =
            s.hold_slot(slot, fmt::format("CA-{}", t), kCapacity, seconds(60), Deadline::after(seconds(10)));
        if (r.ok()) {
          winners.fetch_add(1);
        } else if (r.status().code() == StatusCode::kConflict) {
          conflicts.fetch_add(1);
        } else {
          others.fetch_add(1);
        }
      });
    }
    while (ready.load() < kThreads) std::this_thread::yield();
    go.store(true, std::memory_order_release);
    for (auto &th : threads) th.join();
    if (winners.load() != kCapacity || conflicts.load() != kThreads - kCapacity) ++bad_rounds;
    errors += others.load();
    auto st = s.slot_state(slot, h.deadline());
    VOXLINE_REQUIRE_OK(st);
    CHECK(st->holds == kCapacity);
  }
  CHECK(bad_rounds == 0);
  CHECK(errors == 0);
}

}  // namespace contract

// The contract case list: X(function, "name").
#define VOXLINE_SESSION_STORE_CONTRACT_CASES(X)                                                              \
  X(put_then_get, "put then get returns the compacted document at version 1")                                \
  X(get_unknown_is_not_found, "get of an unknown session is NOT_FOUND")                                      \
  X(versions_compare_and_set, "put compare-and-set: create-only, exact version, stale writer gets CONFLICT") \
  X(session_expires_after_ttl, "session document expires after its ttl and can be created again")            \
  X(patch_merges_and_bumps_version, "patch applies an RFC 7386 merge patch and bumps the version")           \
  X(patch_with_stale_version_conflicts, "patch with a stale version is CONFLICT and changes nothing")        \
  X(concurrent_patches_lose_no_update, "concurrent patches from many threads lose no update")                \
  X(delete_removes_document, "delete removes the document and a second delete is NOT_FOUND")                 \
  X(bad_arguments_are_invalid_argument, "bad ids, documents, ttls and capacities are INVALID_ARGUMENT")      \
  X(expired_deadline_is_timeout, "an already expired deadline gives TIMEOUT and writes nothing")             \
  X(holds_stop_at_capacity, "holds stop at capacity with CONFLICT and slots are independent")                \
  X(rehold_by_same_holder_refreshes_without_second_unit,                                                     \
    "holding again as the same holder refreshes the ttl without taking a second unit")                       \
  X(release_only_by_holder, "only the holder can release its hold")                                          \
  X(confirm_turns_hold_into_booking, "confirm turns a hold into a booking that keeps the unit taken")        \
  X(cancel_booking_frees_a_unit, "cancel_booking gives a booked unit back")                                  \
  X(expired_holds_free_the_slot, "expired holds free the slot and can no longer be confirmed")               \
  X(bookings_expire_after_retention, "bookings stop counting after their retention")                         \
  X(rate_limit_counts_per_window, "rate limit allows limit calls per sliding window per caller")             \
  X(ping_reports_latency, "ping reports the backend healthy with its latency")                               \
  X(race_16_threads_capacity_2_exactly_2_winners,                                                            \
    "race: 16 threads x 50 rounds on a slot of capacity 2 give exactly 2 winners each round")

}  // namespace voxline::testing
