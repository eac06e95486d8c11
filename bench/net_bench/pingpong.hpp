// File: pingpong.hpp
// net_bench's ping-pong section: messages per second and p50/p99 round trip on loopback, against
// voxline-sim in this process, printed as a table with a ratio against the first row:
//   raw TCP echo (1 connection)           baseline: a blocking socket pair, no framing, no TLS
//   websocket echo via Runtime, 1 and 200 connections on one slot (voxline-sim /test/echo)
//   streaming HTTP POST + SSE via Runtime, 1 and 200 concurrent streams (voxline-sim /test/sse)
// Figures are for comparison within one run (the ratio column), never absolute targets.
// Thread-safety: call from one thread; it creates and destroys its own simulator and Runtime.
#pragma once

namespace voxline::bench {

// quick: fewer rounds. Returns 0, or 1 when the simulator or the Runtime cannot start.
int run_pingpong(bool quick);

}  // namespace voxline::bench
