// File: models.hpp
// The service-desk records as plain structs: what repositories read and write. Times are
// WallTime (UTC); the database stores them as Unix milliseconds (see schema.hpp).
//
//   NewCustomer c{"Ada Lovelace", "(555) 123-4567", std::nullopt};
//   VOXLINE_ASSIGN_OR_RETURN(Customer saved, customers.create(tx, c));   // saved.phone is E.164
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/core/result.hpp"
#include "voxline/storage/validators.hpp"

namespace voxline {

struct Customer {
  int64_t id = 0;
  std::string name;
  std::string phone;  // E.164
  std::optional<std::string> email;
  WallTime created_at;
  WallTime updated_at;
};

struct NewCustomer {
  std::string name;
  std::string phone;  // any accepted format; stored as E.164
  std::optional<std::string> email;
};

struct Vehicle {
  int64_t id = 0;
  int64_t customer_id = 0;
  std::string vin;  // 17 characters, upper case, check digit valid
  int year = 0;
  std::string make;
  std::string model;
  WallTime created_at;
};

struct NewVehicle {
  int64_t customer_id = 0;  // ignored by CustomerRepository::register_customer (it sets it)
  std::string vin;
  int year = 0;
  std::string make;
  std::string model;
};

enum class AppointmentStatus { kScheduled, kCancelled, kCompleted, kNoShow };
// "scheduled", "cancelled", "completed", "no_show" (the values stored in the database).
VOXLINE_API const char *appointment_status_name(AppointmentStatus s) noexcept;
VOXLINE_API Result<AppointmentStatus> parse_appointment_status(std::string_view text);

struct Appointment {
  int64_t id = 0;
  int64_t customer_id = 0;
  std::optional<int64_t> vehicle_id;
  std::string service;  // ServiceType::code
  int bay = 0;          // 1..ShopConfig::bays
  WallTime start;
  WallTime end;
  AppointmentStatus status = AppointmentStatus::kScheduled;
  std::optional<std::string> notes;
  WallTime created_at;
  WallTime updated_at;
};

struct NewAppointment {
  int64_t customer_id = 0;
  std::optional<int64_t> vehicle_id;
  std::string service;
  int bay = 0;
  WallTime start;  // the end follows from the service's duration
  std::optional<std::string> notes;
};

struct ServiceType {
  std::string code;  // [a-z][a-z0-9_]*, e.g. "oil_change"
  std::string name;
  int duration_minutes = 0;
};

struct ShopConfig {
  std::string name;
  int bays = 1;
  SlotPolicy slots;  // slot length, UTC offset, opening hours
  std::vector<ServiceType> services;
  // nullptr when no service has `code`.
  const ServiceType *find_service(std::string_view code) const noexcept;
};

enum class CallOutcome { kInProgress, kCompleted, kBooked, kTransferred, kAbandoned, kFailed };
// "in_progress", "completed", "booked", "transferred", "abandoned", "failed".
VOXLINE_API const char *call_outcome_name(CallOutcome o) noexcept;
VOXLINE_API Result<CallOutcome> parse_call_outcome(std::string_view text);

struct CallLog {
  int64_t id = 0;       // assigned by the database
  std::string call_id;  // the telephony provider's id; unique
  std::string from_number;
  std::string to_number;
  std::optional<int64_t> customer_id;  // NULL when unknown or the customer was deleted
  WallTime started_at;                 // WallTime{} (the epoch): CallLogRepository::save uses its clock's now
  std::optional<WallTime> ended_at;
  std::optional<int64_t> duration_ms;
  CallOutcome outcome = CallOutcome::kInProgress;
  std::string transcript_json = "[]";  // a JSON document (validated before writing)
  int tool_calls = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  std::optional<std::string> error;
};

}  // namespace voxline
