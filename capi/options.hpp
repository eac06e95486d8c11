// File: options.hpp
// Shared checks of versioned options structs and timeouts passed through the C ABI.
// Internal to capi/; never installed. Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "voxline/core/deadline.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"

namespace voxline::capi {

// OK for 1..current; INVALID_ARGUMENT naming `what` and both versions otherwise.
inline Status check_options_version(unsigned version, unsigned current, const char *what) {
  if (version >= 1 && version <= current) return Status::Ok();
  return invalid_argument(std::string(what) + " version " + std::to_string(version) +
                          " is unknown (this library knows 1.." + std::to_string(current) + "; call " + what +
                          "_init first)");
}

// A deadline `timeout_ms` from now; INVALID_ARGUMENT unless 0 < timeout_ms <= 1 day.
inline Result<Deadline> deadline_from_timeout(int64_t timeout_ms) {
  constexpr int64_t kMaxMs = 24LL * 3600 * 1000;
  if (timeout_ms <= 0 || timeout_ms > kMaxMs)
    return invalid_argument("timeout_ms " + std::to_string(timeout_ms) + " is out of range (1.." +
                            std::to_string(kMaxMs) + ")");
  return Deadline::after(std::chrono::milliseconds(timeout_ms));
}

}  // namespace voxline::capi
