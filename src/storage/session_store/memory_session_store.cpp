// MemorySessionStore: maps behind one mutex, with expiry on the injected Clock's steady time.
#include "voxline/storage/memory_session_store.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "voxline/core/thread_annotations.hpp"

namespace voxline {

namespace {

Millis ms_between(SteadyTime from, SteadyTime to) {
  if (to <= from) return Millis(0);
  // Round up so a live entry never reports 0 ms left.
  return std::chrono::ceil<Millis>(to - from);
}

}  // namespace

struct MemorySessionStore::Impl {
  struct Doc {
    std::string json;
    uint64_t version = 0;
    SteadyTime expires;
  };
  struct Slot {
    std::map<std::string, SteadyTime, std::less<>> holds;  // holder -> expiry
    int booked = 0;
    SteadyTime booked_until;
  };
  struct Rate {
    std::deque<SteadyTime> accepted;  // ascending
    Millis window{0};
  };

  Impl(const Clock &c, size_t max) : clock(c), max_entries(max) {}

  const Clock &clock;
  const size_t max_entries;

  Mutex mu;
  std::unordered_map<std::string, Doc> docs VOXLINE_GUARDED_BY(mu);
  std::unordered_map<std::string, Slot> slots VOXLINE_GUARDED_BY(mu);
  std::unordered_map<std::string, Rate> rates VOXLINE_GUARDED_BY(mu);
  size_t ops_since_sweep VOXLINE_GUARDED_BY(mu) = 0;

  size_t entries() const VOXLINE_REQUIRES(mu) { return docs.size() + slots.size() + rates.size(); }

  // Drops expired holds and bookings; true when the slot is empty and may be erased.
  static bool purge_slot(Slot &s, SteadyTime now) {
    for (auto it = s.holds.begin(); it != s.holds.end();) {
      it = it->second <= now ? s.holds.erase(it) : std::next(it);
    }
    if (s.booked > 0 && s.booked_until <= now) s.booked = 0;
    return s.holds.empty() && s.booked == 0;
  }
  static bool purge_rate(Rate &r, SteadyTime now) {
    while (!r.accepted.empty() && r.accepted.front() + r.window <= now) r.accepted.pop_front();
    return r.accepted.empty();
  }

  void sweep(SteadyTime now) VOXLINE_REQUIRES(mu) {
    for (auto it = docs.begin(); it != docs.end();)
      it = it->second.expires <= now ? docs.erase(it) : std::next(it);
    for (auto it = slots.begin(); it != slots.end();)
      it = purge_slot(it->second, now) ? slots.erase(it) : std::next(it);
    for (auto it = rates.begin(); it != rates.end();)
      it = purge_rate(it->second, now) ? rates.erase(it) : std::next(it);
    ops_since_sweep = 0;
  }
  // Amortised O(1): a full sweep after as many operations as there are entries.
  void maybe_sweep(SteadyTime now) VOXLINE_REQUIRES(mu) {
    if (++ops_since_sweep >= std::max<size_t>(256, entries())) sweep(now);
  }
  // Room for one more key; sweeps once before refusing.
  Status make_room(SteadyTime now) VOXLINE_REQUIRES(mu) {
    if (entries() < max_entries) return Status::Ok();
    sweep(now);
    if (entries() < max_entries) return Status::Ok();
    return queue_full(fmt::format("memory session store holds {} live entries (max_entries)", max_entries));
  }
  // The entry for `key` in `map`, created when missing if the entry bound leaves room.
  template <typename Map>
  Result<typename Map::mapped_type *> entry_or_new(Map &map, const std::string &key, SteadyTime now)
      VOXLINE_REQUIRES(mu) {
    auto it = map.find(key);
    if (it == map.end()) {
      VOXLINE_RETURN_IF_ERROR(make_room(now));
      it = map.emplace(key, typename Map::mapped_type{}).first;
    }
    return &it->second;
  }
  Doc *live_doc(const std::string &key, SteadyTime now) VOXLINE_REQUIRES(mu) {
    auto it = docs.find(key);
    if (it == docs.end()) return nullptr;
    if (it->second.expires <= now) {
      docs.erase(it);
      return nullptr;
    }
    return &it->second;
  }
  // The slot's counts after purging, without creating it.
  SlotState state_of(const std::string &key, SteadyTime now) VOXLINE_REQUIRES(mu) {
    auto it = slots.find(key);
    if (it == slots.end()) return {};
    if (purge_slot(it->second, now)) {
      slots.erase(it);
      return {};
    }
    return {static_cast<int>(it->second.holds.size()), it->second.booked};
  }
};

MemorySessionStore::MemorySessionStore(MemorySessionStoreOptions options)
    : SessionStore("memory", options.metrics != nullptr ? *options.metrics : MetricsRegistry::global()),
      impl_(std::make_unique<Impl>(options.clock != nullptr ? *options.clock : Clock::system(),
                                   options.max_entries)) {}

MemorySessionStore::~MemorySessionStore() = default;

size_t MemorySessionStore::live_entries() {
  MutexLock lock(impl_->mu);
  impl_->sweep(impl_->clock.now());
  return impl_->entries();
}

Result<SessionDocument> MemorySessionStore::do_get_session(std::string_view call_id,
                                                           const Deadline & /*deadline*/) {
  MutexLock lock(impl_->mu);
  const SteadyTime now = impl_->clock.now();
  impl_->maybe_sweep(now);
  const Impl::Doc *doc = impl_->live_doc(std::string(call_id), now);
  if (doc == nullptr) return not_found(fmt::format("no live session document for {}", call_id));
  SessionDocument out;
  out.json = doc->json;
  out.version = doc->version;
  out.ttl_remaining = ms_between(now, doc->expires);
  return out;
}

Result<uint64_t> MemorySessionStore::do_put_session(std::string_view call_id, std::string json, Millis ttl,
                                                    uint64_t expected_version,
                                                    const Deadline & /*deadline*/) {
  MutexLock lock(impl_->mu);
  const SteadyTime now = impl_->clock.now();
  impl_->maybe_sweep(now);
  const std::string key(call_id);
  Impl::Doc *doc = impl_->live_doc(key, now);
  if (expected_version == kNewSession && doc != nullptr)
    return conflict(fmt::format("session {} already exists at version {}", call_id, doc->version));
  if (expected_version != kNewSession && expected_version != kAnyVersion) {
    if (doc == nullptr) return not_found(fmt::format("no live session document for {}", call_id));
    if (doc->version != expected_version)
      return conflict(
          fmt::format("session {} is at version {}, not {}", call_id, doc->version, expected_version));
  }
  if (doc == nullptr) {
    VOXLINE_RETURN_IF_ERROR(impl_->make_room(now));
    doc = &impl_->docs[key];
  }
  doc->json = std::move(json);
  doc->version += 1;
  doc->expires = now + ttl;
  return doc->version;
}

Status MemorySessionStore::do_delete_session(std::string_view call_id, const Deadline & /*deadline*/) {
  MutexLock lock(impl_->mu);
  const SteadyTime now = impl_->clock.now();
  const std::string key(call_id);
  if (impl_->live_doc(key, now) == nullptr)
    return not_found(fmt::format("no live session document for {}", call_id));
  impl_->docs.erase(key);
  return Status::Ok();
}

Result<SlotHold> MemorySessionStore::do_hold_slot(std::string_view slot, std::string_view holder,
                                                  int capacity, Millis ttl, const Deadline & /*deadline*/) {
  MutexLock lock(impl_->mu);
  const SteadyTime now = impl_->clock.now();
  impl_->maybe_sweep(now);
  VOXLINE_ASSIGN_OR_RETURN(Impl::Slot * slot_entry,
                           impl_->entry_or_new(impl_->slots, std::string(slot), now));
  Impl::Slot &s = *slot_entry;
  Impl::purge_slot(s, now);
  auto mine = s.holds.find(holder);
  if (mine == s.holds.end()) {
    const int used = static_cast<int>(s.holds.size()) + s.booked;
    if (used >= capacity) {
      SteadyTime earliest = SteadyTime::max();
      for (const auto &h : s.holds) earliest = std::min(earliest, h.second);
      return conflict(fmt::format(
          "slot {} is full: {} held + {} booked of capacity {}{}", slot, s.holds.size(), s.booked, capacity,
          earliest == SteadyTime::max()
              ? std::string()
              : fmt::format("; earliest hold expires in {} ms", ms_between(now, earliest).count())));
    }
    mine = s.holds.emplace(std::string(holder), now + ttl).first;
  } else {
    mine->second = now + ttl;  // same holder again: refresh, never a second unit
  }
  SlotHold out;
  out.state = {static_cast<int>(s.holds.size()), s.booked};
  out.expires_in = ttl;
  return out;
}

Status MemorySessionStore::do_release_slot(std::string_view slot, std::string_view holder,
                                           const Deadline & /*deadline*/) {
  MutexLock lock(impl_->mu);
  const SteadyTime now = impl_->clock.now();
  auto it = impl_->slots.find(std::string(slot));
  if (it != impl_->slots.end()) {
    Impl::purge_slot(it->second, now);
    auto mine = it->second.holds.find(holder);
    if (mine != it->second.holds.end()) {
      it->second.holds.erase(mine);
      if (it->second.holds.empty() && it->second.booked == 0) impl_->slots.erase(it);
      return Status::Ok();
    }
  }
  return not_found(fmt::format("{} holds nothing live on slot {}", holder, slot));
}

Result<SlotState> MemorySessionStore::do_confirm_slot(std::string_view slot, std::string_view holder,
                                                      Millis retention, const Deadline & /*deadline*/) {
  MutexLock lock(impl_->mu);
  const SteadyTime now = impl_->clock.now();
  auto it = impl_->slots.find(std::string(slot));
  if (it != impl_->slots.end()) {
    Impl::Slot &s = it->second;
    Impl::purge_slot(s, now);
    auto mine = s.holds.find(holder);
    if (mine != s.holds.end()) {
      s.holds.erase(mine);
      s.booked += 1;
      s.booked_until = std::max(s.booked_until, now + retention);
      return SlotState{static_cast<int>(s.holds.size()), s.booked};
    }
  }
  return not_found(fmt::format("{} holds nothing live on slot {} to confirm", holder, slot));
}

Result<SlotState> MemorySessionStore::do_cancel_booking(std::string_view slot,
                                                        const Deadline & /*deadline*/) {
  MutexLock lock(impl_->mu);
  const SteadyTime now = impl_->clock.now();
  auto it = impl_->slots.find(std::string(slot));
  if (it == impl_->slots.end() || (Impl::purge_slot(it->second, now), it->second.booked == 0))
    return not_found(fmt::format("slot {} has no booking to cancel", slot));
  Impl::Slot &s = it->second;
  s.booked -= 1;
  SlotState out{static_cast<int>(s.holds.size()), s.booked};
  if (s.holds.empty() && s.booked == 0) impl_->slots.erase(it);
  return out;
}

Result<SlotState> MemorySessionStore::do_slot_state(std::string_view slot, const Deadline & /*deadline*/) {
  MutexLock lock(impl_->mu);
  return impl_->state_of(std::string(slot), impl_->clock.now());
}

Result<RateDecision> MemorySessionStore::do_check_rate(std::string_view caller, int limit, Millis window,
                                                       const Deadline & /*deadline*/) {
  MutexLock lock(impl_->mu);
  const SteadyTime now = impl_->clock.now();
  impl_->maybe_sweep(now);
  VOXLINE_ASSIGN_OR_RETURN(Impl::Rate * rate_entry,
                           impl_->entry_or_new(impl_->rates, std::string(caller), now));
  Impl::Rate &r = *rate_entry;
  r.window = window;
  Impl::purge_rate(r, now);
  RateDecision d;
  if (static_cast<int>(r.accepted.size()) >= limit) {
    d.allowed = false;
    d.remaining = 0;
    // The oldest counted attempt that must leave for one more to fit.
    const SteadyTime frees = r.accepted[r.accepted.size() - static_cast<size_t>(limit)] + window;
    d.retry_after = std::max(ms_between(now, frees), Millis(1));
    return d;
  }
  r.accepted.push_back(now);
  d.allowed = true;
  d.remaining = limit - static_cast<int>(r.accepted.size());
  return d;
}

Status MemorySessionStore::do_ping(const Deadline &, std::string &detail) {
  MutexLock lock(impl_->mu);
  detail = fmt::format("in-process, {} entries", impl_->entries());
  return Status::Ok();
}

}  // namespace voxline
