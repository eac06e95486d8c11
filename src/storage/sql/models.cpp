// Names of the stored enums and ShopConfig lookups.
#include "voxline/storage/models.hpp"

#include <fmt/format.h>

namespace voxline {

const char *appointment_status_name(AppointmentStatus s) noexcept {
  switch (s) {
    case AppointmentStatus::kScheduled: return "scheduled";
    case AppointmentStatus::kCancelled: return "cancelled";
    case AppointmentStatus::kCompleted: return "completed";
    case AppointmentStatus::kNoShow: return "no_show";
  }
  return "unknown";
}

Result<AppointmentStatus> parse_appointment_status(std::string_view text) {
  for (auto s : {AppointmentStatus::kScheduled, AppointmentStatus::kCancelled, AppointmentStatus::kCompleted,
                 AppointmentStatus::kNoShow}) {
    if (text == appointment_status_name(s)) return s;
  }
  return invalid_argument(
      fmt::format("appointment status '{}' is not one of scheduled, cancelled, completed, no_show", text));
}

const char *call_outcome_name(CallOutcome o) noexcept {
  switch (o) {
    case CallOutcome::kInProgress: return "in_progress";
    case CallOutcome::kCompleted: return "completed";
    case CallOutcome::kBooked: return "booked";
    case CallOutcome::kTransferred: return "transferred";
    case CallOutcome::kAbandoned: return "abandoned";
    case CallOutcome::kFailed: return "failed";
  }
  return "unknown";
}

Result<CallOutcome> parse_call_outcome(std::string_view text) {
  for (auto o : {CallOutcome::kInProgress, CallOutcome::kCompleted, CallOutcome::kBooked,
                 CallOutcome::kTransferred, CallOutcome::kAbandoned, CallOutcome::kFailed}) {
    if (text == call_outcome_name(o)) return o;
  }
  return invalid_argument(fmt::format(
      "call outcome '{}' is not one of in_progress, completed, booked, transferred, abandoned, failed",
      text));
}

const ServiceType *ShopConfig::find_service(std::string_view code) const noexcept {
  for (const ServiceType &s : services) {
    if (s.code == code) return &s;
  }
  return nullptr;
}

}  // namespace voxline
