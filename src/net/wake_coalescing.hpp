// File: wake_coalescing.hpp
// How long a slot loop naps after a pass before it polls again (RuntimeOptions::io_coalesce).
// A pass that ended within the window of its start means events arrive faster than the loop
// wakes; napping for the rest of the window lets the next ones gather so one pass handles them
// all (one epoll_wait and one context switch for many messages instead of one each).
//
//   const uint64_t nap = coalescing_nap_ns(now - pass_start, window_ns, uv_backend_timeout(loop));
//   run_coalesced(&loop, window_ns);  // uv_run(UV_RUN_DEFAULT) with those naps
//
// Thread-safety: coalescing_nap_ns is a pure function; run_coalesced runs on the loop's thread.
#pragma once

#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>

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

// Runs `loop` until it has no active handle, as uv_run(UV_RUN_DEFAULT) does, napping between
// passes as coalescing_nap_ns says (window_ns 0: exactly uv_run(UV_RUN_DEFAULT)). Shared by the
// slot loop and net_bench's raw floor client, so both wake up under the same policy.
inline void run_coalesced(uv_loop_t *loop, uint64_t window_ns) {
  if (window_ns == 0) {
    uv_run(loop, UV_RUN_DEFAULT);
    return;
  }
  for (;;) {
    const uint64_t pass_start = uv_hrtime();
    if (uv_run(loop, UV_RUN_ONCE) == 0) return;
    const uint64_t nap = coalescing_nap_ns(uv_hrtime() - pass_start, window_ns, uv_backend_timeout(loop));
    if (nap == 0) continue;
    timespec ts{0, static_cast<long>(nap)};  // nap < window <= 10 ms
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
}

}  // namespace voxline::detail
