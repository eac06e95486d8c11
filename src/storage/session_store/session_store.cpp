// The SessionStore contract, once for every backend: argument checks, deadline at start, timing
// and metrics around the backend's do_* call, and the generic read-modify-CAS patch.
#include "voxline/storage/session_store.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "storage/session_store/session_store_checks.hpp"
#include "storage/session_store/store_metrics.hpp"

namespace voxline {

namespace {

using detail::StoreOp;

Status expired_before_start(const Deadline &deadline, StoreOp op) {
  if (deadline.expired())
    return timeout_error(
        fmt::format("session store {}: deadline expired before start", detail::store_op_name(op)));
  return Status::Ok();
}

// Times `body` (checks included, so refused calls are counted too) and records its outcome.
template <typename Body>
auto timed(detail::StoreMetrics &metrics, StoreOp op, Body &&body) {
  detail::OpTimer t(metrics, op);
  return t.done(body());
}

Status check_capacity(int value, const char *what) {
  if (value < 1 || value > SessionStore::kMaxCapacity)
    return invalid_argument(
        fmt::format("{} must be in 1..{}, got {}", what, SessionStore::kMaxCapacity, value));
  return Status::Ok();
}

}  // namespace

SessionStore::SessionStore(std::string backend, MetricsRegistry &registry)
    : backend_(std::move(backend)), metrics_(std::make_unique<Metrics>(registry, backend_)) {}

SessionStore::~SessionStore() = default;

Result<SessionDocument> SessionStore::get_session(std::string_view call_id, const Deadline &deadline) {
  return timed(*metrics_, StoreOp::kGet, [&]() -> Result<SessionDocument> {
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(call_id, "call id"));
    VOXLINE_RETURN_IF_ERROR(expired_before_start(deadline, StoreOp::kGet));
    return do_get_session(call_id, deadline);
  });
}

Result<uint64_t> SessionStore::put_session(std::string_view call_id, std::string_view json, Millis ttl,
                                           uint64_t expected_version, const Deadline &deadline) {
  return timed(*metrics_, StoreOp::kPut, [&]() -> Result<uint64_t> {
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(call_id, "call id"));
    VOXLINE_RETURN_IF_ERROR(detail::validate_ttl(ttl, "session ttl"));
    VOXLINE_ASSIGN_OR_RETURN(std::string doc, detail::normalize_document(json));
    VOXLINE_RETURN_IF_ERROR(expired_before_start(deadline, StoreOp::kPut));
    return do_put_session(call_id, std::move(doc), ttl, expected_version, deadline);
  });
}

Result<SessionDocument> SessionStore::patch_session(std::string_view call_id, std::string_view merge_patch,
                                                    Millis ttl, uint64_t expected_version,
                                                    const Deadline &deadline) {
  return timed(*metrics_, StoreOp::kPatch, [&]() -> Result<SessionDocument> {
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(call_id, "call id"));
    if (ttl.count() != 0) VOXLINE_RETURN_IF_ERROR(detail::validate_ttl(ttl, "session ttl"));
    if (expected_version == kNewSession)
      return invalid_argument("patch_session needs an existing document: pass its version or kAnyVersion");
    VOXLINE_RETURN_IF_ERROR(expired_before_start(deadline, StoreOp::kPatch));
    return do_patch_session(call_id, merge_patch, ttl, expected_version, deadline);
  });
}

Result<SessionDocument> SessionStore::do_patch_session(std::string_view call_id, std::string_view merge_patch,
                                                       Millis ttl, uint64_t expected_version,
                                                       const Deadline &deadline) {
  // Optimistic loop: another writer between our read and our CAS makes us re-read (kAnyVersion)
  // or report the conflict (exact version). The deadline bounds the loop.
  for (int attempt = 0;; ++attempt) {
    VOXLINE_ASSIGN_OR_RETURN(SessionDocument current, get_session(call_id, deadline));
    if (expected_version != kAnyVersion && current.version != expected_version)
      return conflict(
          fmt::format("session {} is at version {}, not {}", call_id, current.version, expected_version));
    VOXLINE_ASSIGN_OR_RETURN(std::string merged, detail::apply_merge_patch(current.json, merge_patch));
    const Millis keep = ttl.count() != 0 ? ttl : std::max(current.ttl_remaining, Millis(1));
    Result<uint64_t> written = put_session(call_id, merged, keep, current.version, deadline);
    if (written.ok()) {
      SessionDocument out;
      out.json = std::move(merged);
      out.version = *written;
      out.ttl_remaining = keep;
      return out;
    }
    const StatusCode code = written.status().code();
    if (expected_version != kAnyVersion || (code != StatusCode::kConflict && code != StatusCode::kNotFound))
      return written.status();
    if (deadline.expired())
      return timeout_error(fmt::format(
          "patch of session {} kept conflicting for {} attempts until the deadline", call_id, attempt + 1));
    // NOT_FOUND here means it expired or was deleted between read and write: the next get says so.
  }
}

Status SessionStore::delete_session(std::string_view call_id, const Deadline &deadline) {
  return timed(*metrics_, StoreOp::kDelete, [&]() -> Status {
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(call_id, "call id"));
    VOXLINE_RETURN_IF_ERROR(expired_before_start(deadline, StoreOp::kDelete));
    return do_delete_session(call_id, deadline);
  });
}

Result<SlotHold> SessionStore::hold_slot(std::string_view slot, std::string_view holder, int capacity,
                                         Millis ttl, const Deadline &deadline) {
  return timed(*metrics_, StoreOp::kHold, [&]() -> Result<SlotHold> {
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(slot, "slot id"));
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(holder, "holder id"));
    VOXLINE_RETURN_IF_ERROR(detail::validate_ttl(ttl, "hold ttl"));
    VOXLINE_RETURN_IF_ERROR(check_capacity(capacity, "slot capacity"));
    VOXLINE_RETURN_IF_ERROR(expired_before_start(deadline, StoreOp::kHold));
    return do_hold_slot(slot, holder, capacity, ttl, deadline);
  });
}

Status SessionStore::release_slot(std::string_view slot, std::string_view holder, const Deadline &deadline) {
  return timed(*metrics_, StoreOp::kRelease, [&]() -> Status {
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(slot, "slot id"));
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(holder, "holder id"));
    VOXLINE_RETURN_IF_ERROR(expired_before_start(deadline, StoreOp::kRelease));
    return do_release_slot(slot, holder, deadline);
  });
}

Result<SlotState> SessionStore::confirm_slot(std::string_view slot, std::string_view holder, Millis retention,
                                             const Deadline &deadline) {
  return timed(*metrics_, StoreOp::kConfirm, [&]() -> Result<SlotState> {
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(slot, "slot id"));
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(holder, "holder id"));
    VOXLINE_RETURN_IF_ERROR(detail::validate_ttl(retention, "booking retention"));
    VOXLINE_RETURN_IF_ERROR(expired_before_start(deadline, StoreOp::kConfirm));
    return do_confirm_slot(slot, holder, retention, deadline);
  });
}

Result<SlotState> SessionStore::cancel_booking(std::string_view slot, const Deadline &deadline) {
  return timed(*metrics_, StoreOp::kCancel, [&]() -> Result<SlotState> {
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(slot, "slot id"));
    VOXLINE_RETURN_IF_ERROR(expired_before_start(deadline, StoreOp::kCancel));
    return do_cancel_booking(slot, deadline);
  });
}

Result<SlotState> SessionStore::slot_state(std::string_view slot, const Deadline &deadline) {
  return timed(*metrics_, StoreOp::kSlotState, [&]() -> Result<SlotState> {
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(slot, "slot id"));
    VOXLINE_RETURN_IF_ERROR(expired_before_start(deadline, StoreOp::kSlotState));
    return do_slot_state(slot, deadline);
  });
}

Result<RateDecision> SessionStore::check_rate(std::string_view caller, int limit, Millis window,
                                              const Deadline &deadline) {
  return timed(*metrics_, StoreOp::kRate, [&]() -> Result<RateDecision> {
    VOXLINE_RETURN_IF_ERROR(detail::validate_store_id(caller, "caller id"));
    VOXLINE_RETURN_IF_ERROR(detail::validate_ttl(window, "rate window"));
    VOXLINE_RETURN_IF_ERROR(check_capacity(limit, "rate limit"));
    VOXLINE_RETURN_IF_ERROR(expired_before_start(deadline, StoreOp::kRate));
    return do_check_rate(caller, limit, window, deadline);
  });
}

HealthCheck SessionStore::ping(const Deadline &deadline) {
  HealthCheck check;
  check.component = "storage.session_store." + backend_;
  const auto start = std::chrono::steady_clock::now();
  const Status s = timed(*metrics_, StoreOp::kPing, [&]() -> Status {
    Status expired = expired_before_start(deadline, StoreOp::kPing);
    if (!expired.ok()) {
      check.detail = expired.to_string();
      return expired;
    }
    return do_ping(deadline, check.detail);
  });
  check.ok = s.ok();
  check.latency_ms = elapsed_ms(start, std::chrono::steady_clock::now());
  return check;
}

}  // namespace voxline
