// File: wake_coalescing.hpp
// How long a slot loop naps after a pass before it polls again (RuntimeOptions::io_coalesce).
// A pass that ended within the window of its start means events arrive faster than the loop
// wakes; napping for the rest of the window lets the next ones gather so one pass handles them
// all (one epoll_wait and one context switch for many messages instead of one each).
//
//   const uint64_t nap = coalescing_nap_ns(now - pass_start, window_ns, uv_backend_timeout(loop));
//
// Thread-safety: a pure function.
#pragma once

#include <algorithm>
#include <cstdint>

namespace voxline::detail {

// pass_ns: how long the pass took, from before it polled to its end; window_ns: the coalescing
// window (0 = off); backend_timeout_ms: uv_backend_timeout() after the pass (0 = work is ready,
// -1 = no timer pending, else ms until the next timer is due). Returns 0 for "poll again now".
constexpr uint64_t coalescing_nap_ns(uint64_t pass_ns, uint64_t window_ns, int backend_timeout_ms) noexcept {
  if (window_ns == 0 || pass_ns >= window_ns) return 0;  // off, or a pass that waited: a quiet loop
  if (backend_timeout_ms == 0) return 0;                 // idle flushes, a due timer, a closing handle
  uint64_t nap = window_ns - pass_ns;
  if (backend_timeout_ms > 0)
    nap = std::min<uint64_t>(nap, static_cast<uint64_t>(backend_timeout_ms) * 1'000'000);
  return nap;
}

}  // namespace voxline::detail
