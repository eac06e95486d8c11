// File: call_log_repository.hpp
// CallLogRepository: one row per call, written when the call starts and completed (upserted by
// call_id) when it ends, so a crash mid-call still leaves a row with outcome in_progress.
//
//   CallLog log; log.call_id = "CA123"; log.from_number = "+15551234567"; log.to_number = "+15557654321";
//   log.started_at = clock.wall_now();
//   VOXLINE_ASSIGN_OR_RETURN(CallLog saved, calls.save(tx, log));
//
// Errors: INVALID_ARGUMENT (empty call id, transcript that is not JSON, negative counts, end
// before start), NOT_FOUND (unknown call id / customer).
// Thread-safety: as CustomerRepository.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/storage/database.hpp"
#include "voxline/storage/models.hpp"

namespace voxline {

class VOXLINE_API CallLogRepository {
 public:
  explicit CallLogRepository(const Clock &clock = Clock::system()) : clock_(&clock) {}

  // Inserts, or replaces the row with the same call_id. Returns the stored row.
  Result<CallLog> save(Transaction &tx, const CallLog &log);
  Result<CallLog> get_by_call_id(Transaction &tx, std::string_view call_id);
  // Most recent first, at most `limit`.
  Result<std::vector<CallLog>> list_for_customer(Transaction &tx, int64_t customer_id, int limit = 50);
  // Calls started in [from, to), earliest first, at most `limit`.
  Result<std::vector<CallLog>> list_in_range(Transaction &tx, WallTime from, WallTime to, int limit = 500);

 private:
  const Clock *clock_;
};

}  // namespace voxline
