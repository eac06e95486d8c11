// File: raw_floor.hpp
// The floor for the paced call load: a minimal libuv TCP client sending the same paced traffic as
// the voxline run without websocket framing, TLS or any library above libuv, against a libuv
// server in a child process (`net_bench --floor-server --port P`). Records on the wire:
//   client -> server: first byte 'U' (uplink: the server discards everything) or 'D' (downlink);
//                     uplink audio frames are raw bytes; on 'D' a Clear is 'C' + 15 bytes;
//   server -> client on 'D': 'A' + 639 bytes every 20 ms (audio), 'K' + 15 bytes answering a Clear.
// Thread-safety: run_floor() runs its own loop thread and returns after joining it.
#pragma once

#include "net_bench/bench_support.hpp"
#include "net_bench/load_report.hpp"

namespace voxline::bench {

// The server side, on 127.0.0.1:port; serves until killed (returns 1 when it cannot listen).
int floor_server_main(int port);

LoadRow run_floor(const LoadOptions &options, const ServerChild &server);

}  // namespace voxline::bench
