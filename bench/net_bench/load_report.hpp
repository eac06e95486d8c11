// File: load_report.hpp
// What one paced call-load run is asked to do (LoadOptions) and the figures it reports (LoadRow),
// printed as one table row per run. Shared by the voxline client (call_load.hpp) and the raw
// libuv floor (raw_floor.hpp), so both rows mean the same thing.
// Thread-safety: plain values and printing from one thread.
#pragma once

#include <cstddef>
#include <string>

#include "net_bench/bench_support.hpp"

namespace voxline::bench {

// Per call: an STT-like uplink of frame_ms of 16 kHz linear16 (32 bytes per ms) every frame_ms,
// a TTS-like downlink of real-time 20 ms frames (640 B), a barge-in Clear every clear_every_ms
// (+0..500 ms, spread over the calls), and (voxline only) one SSE stream of 50 events/s for 2 s
// every 10 s.
struct LoadOptions {
  int calls = 100;
  int frame_ms = 20;
  double warmup_s = 2;  // after every connection is open and the first Clear/SSE is due
  double seconds = 6;   // measured window
  int clear_every_ms = 2500;
  bool sse = true;
  int coalesce_us = 0;  // RuntimeOptions::io_coalesce of the voxline runs, and the floor's window
  // SSE over TLS + HTTP/2 instead of plain HTTP/1.1 to the sim: the streams' base URL (an
  // nghttpx front, https://localhost:PORT) and the CA file that trusts it; empty = plain.
  std::string sse_base_url;
  std::string ca_file;
};

struct LoadRow {
  std::string client;
  int calls = 0;
  int frame_ms = 20;
  double seconds = 0;        // measured window
  double loop_cpu = 0;       // loop thread CPU time / wall time (1.0 = one core)
  double msgs_per_s = 0;     // websocket messages (floor: records) sent + received per second
  double expected_msgs = 0;  // what the pacing asks for
  double us_per_msg = 0;     // loop CPU per message (SSE chunks' share taken out when measured)
  Latency clear_written;     // Clear queued -> handed to the socket
  Latency clear_answered;    // Clear queued -> Cleared (floor: 'K') received
  double sse_us_per_chunk = 0;
  double sse_chunks_per_s = 0;
  size_t connections = 0;      // open at the end of the window
  double rss_kb_per_conn = 0;  // this process's RSS growth / connections
  double server_rss_mb = 0;    // the server child's whole RSS at the end of the window
  double server_cpu = 0;       // the server child's CPU (1.0 = one core)
  size_t errors = 0;
  std::string note;
};

void print_load_header();
void print_load_row(const LoadRow &r);

}  // namespace voxline::bench
