// File: capi_internal.hpp
// What every C entry point shares: guard() (the exception firewall, and the place where the
// boundary's log policy is applied on first use), the StatusCode -> voxline_status mapping and
// the thread-local message behind voxline_last_error_message().
// Internal to capi/; never installed.
//
//   extern "C" voxline_status voxline_x_do(voxline_x *x) {
//     return voxline::capi::guard([&]() -> voxline::Status {
//       if (x == nullptr) return voxline::invalid_argument("NULL x");
//       return x->impl->do_it();
//     });
//   }
//
// Exceptions become statuses: std::bad_alloc -> VOXLINE_E_QUEUE_FULL ("out of memory: ..."),
// because a local resource refused more work and the host can shed load and retry; every other
// exception (std::exception or not) -> VOXLINE_E_INTERNAL with its what() in the message.
// Thread-safety: any thread; the message is per thread.
#pragma once

#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#include "voxline.h"
#include "voxline/core/status.hpp"

namespace voxline::capi {

// The C value of a C++ code (the numbers are identical; static_asserts in error.cpp keep them so).
voxline_status to_c_status(StatusCode code) noexcept;

// Records a failure: the message (redacted) of `status` becomes this thread's last error
// message. Returns the C code. An OK status records nothing and returns VOXLINE_OK.
voxline_status set_error(const Status &status) noexcept;
voxline_status set_error(voxline_status code, const char *message) noexcept;

// This thread's last failure message; never NULL, "" before the first failure.
const char *last_error_message() noexcept;

// What the catch blocks of guard() record; returns the code they chose.
voxline_status set_error_from_current_exception() noexcept;

// Style rule 9 (nothing printed crosses the boundary): on the first call, replaces the process
// logger's stderr sink with one that drops each line and counts it in voxline_log_dropped_total
// {level=...} (MetricsRegistry::global()), until the host sets its own with voxline_log_set_sink.
// Runs once per process (log.cpp); later calls cost one check. C++ users who never enter the C
// ABI keep the stderr default; a program mixing both has a sink set through C++ before its first
// C call replaced too, so it sets its sink after that call (or through voxline_log_set_sink).
void apply_boundary_log_policy() noexcept;

// Runs `fn` (returning Status or voxline_status) and converts its result into a voxline_status;
// a failure's message goes to the thread-local slot. No exception leaves guard().
template <typename Fn>
voxline_status guard(Fn &&fn) noexcept {
  apply_boundary_log_policy();  // before `fn`, which may log (or set the host's sink)
  try {
    using R = std::invoke_result_t<Fn>;
    if constexpr (std::is_same_v<R, voxline_status>) {
      return std::forward<Fn>(fn)();
    } else {
      static_assert(std::is_convertible_v<R, Status>, "guard(fn): fn must return Status or voxline_status");
      return set_error(Status(std::forward<Fn>(fn)()));
    }
  } catch (...) {
    return set_error_from_current_exception();
  }
}

// For entry points that return a value instead of a status (getters): returns `fn()`, or
// `fallback` when it throws (the exception's message is recorded as for guard()).
template <typename T, typename Fn>
T guard_value(T fallback, Fn &&fn) noexcept {
  try {
    return std::forward<Fn>(fn)();
  } catch (...) {
    set_error_from_current_exception();
    return fallback;
  }
}

}  // namespace voxline::capi
