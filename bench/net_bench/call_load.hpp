// File: call_load.hpp
// Paced call-like load through ONE voxline Runtime slot against voxline-sim in a child process.
// Per call: an STT websocket (/v1/listen) sending 16 kHz linear16 frames on an absolute
// schedule; a TTS websocket (/v1/speak) receiving real-time 20 ms audio, with a barge-in every
// ~2.5 s: the next utterance's Speak + Flush go on the data lane and a Clear on the priority lane
// in the same slot callback, so the Clear overtakes them, and the sim answers Cleared; one SSE
// chat completion (50 events/s for 2 s) every 10 s. All pacing runs on the slot thread.
//
//   auto sim = ServerChild::start("voxline-sim", {VOXLINE_SIM_EXE, "--scenario", file});
//   LoadRow sse = run_voxline_sse(options, **sim);
//   LoadRow base = run_voxline_calls(options_without_sse, **sim, nullptr);
//   LoadRow row = run_voxline_calls(options, **sim, &base);
//
// Thread-safety: each run creates and destroys its own Runtime; call from one thread.
#pragma once

#include <string>

#include "net_bench/bench_support.hpp"
#include "net_bench/load_report.hpp"

namespace voxline::bench {

// The sim scenario the load expects (written to a file for voxline-sim --scenario).
std::string call_load_scenario();

// Websockets (+ SSE when options.sse): loop CPU, messages, Clear latency, RSS. With
// `without_sse` (the same load run without SSE just before), us/msg is that run's CPU per
// websocket message and the SSE column is what SSE added: (loop CPU - its loop CPU) / chunks.
LoadRow run_voxline_calls(const LoadOptions &options, const ServerChild &sim, const LoadRow *without_sse);

// SSE streams only, calls / 5 at a time back to back (the call load's average): loop CPU per
// chunk with SseParser run on every chunk, as an LLM client does.
LoadRow run_voxline_sse(const LoadOptions &options, const ServerChild &sim);

}  // namespace voxline::bench
