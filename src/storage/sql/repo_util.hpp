// Helpers shared by the repositories (internal): text checks and row decoding.
#pragma once

#include <string>
#include <string_view>

#include "voxline/core/result.hpp"
#include "voxline/storage/models.hpp"
#include "voxline/storage/sql_value.hpp"

namespace voxline::detail {

// Trimmed `text`, or INVALID_ARGUMENT when empty, longer than `max` bytes or holding control
// characters (newlines and tabs pass when `multiline`).
Result<std::string> clean_text(std::string_view text, std::string_view field, size_t max,
                               bool multiline = false);
// As clean_text, but empty (after trimming) gives std::nullopt.
Result<std::optional<std::string>> clean_optional_text(const std::optional<std::string> &text,
                                                       std::string_view field, size_t max, bool multiline);

Result<WallTime> get_time(const Row &r, std::string_view column);
Result<std::optional<WallTime>> get_optional_time(const Row &r, std::string_view column);

inline constexpr const char *kCustomerColumns = "id, name, phone, email, created_at_ms, updated_at_ms";
inline constexpr const char *kVehicleColumns = "id, customer_id, vin, year, make, model, created_at_ms";
inline constexpr const char *kAppointmentColumns =
    "id, customer_id, vehicle_id, service, bay, start_ms, end_ms, status, notes, created_at_ms, "
    "updated_at_ms";
inline constexpr const char *kCallLogColumns =
    "id, call_id, from_number, to_number, customer_id, started_at_ms, ended_at_ms, duration_ms, outcome, "
    "transcript_json, tool_calls, prompt_tokens, completion_tokens, error";

Result<Customer> customer_from_row(const Row &r);
Result<Vehicle> vehicle_from_row(const Row &r);
Result<Appointment> appointment_from_row(const Row &r);
Result<CallLog> call_log_from_row(const Row &r);

}  // namespace voxline::detail
