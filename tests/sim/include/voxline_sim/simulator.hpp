// File: simulator.hpp
// voxline-sim: a loopback simulator of Deepgram live STT (/v1/listen), Deepgram streaming TTS
// (/v1/speak) and OpenAI chat completions (/v1/chat/completions), plus two generic test endpoints
// (websocket /test/echo, HTTP POST /test/sse). It is scripted by a JSON scenario (see
// tests/sim/README.md), injects faults on demand, validates what clients send and records every
// message in and out with a timestamp, so tests assert on what a client really did.
//
//   auto sim = voxline::sim::Simulator::start({});          // 127.0.0.1, free port, plain ws/http
//   REQUIRE(sim.ok());
//   (*sim)->load_scenario(R"({"llm":{"default_reply":{"content":"Hello there."}}})");
//   std::string url = (*sim)->http_url("/v1/chat/completions");
//   ... drive a client ...
//   for (const auto &m : (*sim)->recorded()) if (m.kind == "http_request") check(m.payload);
//
// Ownership: start() returns the only owner; destroying it stops the service thread and closes
// every connection. Thread-safety: every public method may be called from any thread while the
// simulator serves; the scenario is swapped atomically and applies to connections/requests that
// start after the swap (open connections keep the scenario they started with).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"

namespace voxline::sim {

struct SimOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = pick a free port
  // Both set = serve TLS (wss/https) instead of plain ws/http.
  std::string tls_cert_file, tls_key_file;
  // Deepgram endpoints expect "Authorization: Token <key>", or "Bearer <jwt>" with a token from
  // POST /v1/auth/grant that has not expired (a key sent as Bearer is refused, as Deepgram
  // refuses it); OpenAI "Authorization: Bearer <key>".
  std::string api_key = "test-key";  // empty = no auth check at all
  std::string scenario_json;         // optional initial scenario
  // Recording is bounded: beyond this many records, or this many payload bytes, the oldest are
  // discarded (and counted). 0 records = recording off (the voxline-sim program's default:
  // nobody can read its records, and a load run would fill them with audio).
  size_t max_recorded = 200000;
  size_t max_recorded_bytes = 256u << 20;
};

struct RecordedMessage {
  std::string endpoint;   // "stt", "tts", "llm", "echo", "sse", "auth" (or "other" for unknown paths)
  std::string direction;  // "in" (from client) or "out" (from the simulator)
  // "handshake" (ws upgrade; payload = path with query), "http_request" (payload = request body),
  // "http_response" (status line sent; payload = body for fixed bodies, "" for streams),
  // "text", "binary", "close" (payload = "<code> <reason>"), "drop" (connection cut on purpose).
  std::string kind;
  std::string payload;
  int64_t t_ms = 0;  // since simulator start (monotonic)
  uint64_t connection_id = 0;
  // Extra detail (additions to the minimal shape):
  std::string path;                                          // request path incl. query string
  std::vector<std::pair<std::string, std::string>> headers;  // request headers (lower-case names)
  int status = 0;   // HTTP status of handshake/http_response records; close code of "close"
  size_t size = 0;  // payload size in bytes before any truncation (binary audio is kept whole)
};

class Simulator {
 public:
  static Result<std::unique_ptr<Simulator>> start(const SimOptions &opts);
  ~Simulator();  // stops the service thread, closes every connection
  Simulator(const Simulator &) = delete;
  Simulator &operator=(const Simulator &) = delete;

  int port() const;
  // "ws://127.0.0.1:PORT/v1/listen" (wss:// when TLS).
  std::string ws_url(std::string_view path) const;
  // "http://127.0.0.1:PORT/v1/chat/completions" (https when TLS).
  std::string http_url(std::string_view path) const;
  bool tls() const;

  // Validates strictly (INVALID_ARGUMENT naming the bad field) and replaces the scenario for new
  // connections/requests. Resets the per-endpoint counters that "first_n" faults count against.
  Status load_scenario(std::string_view json);

  std::vector<RecordedMessage> recorded() const;
  // Only the records of one endpoint ("stt", "llm", ...), in order.
  std::vector<RecordedMessage> recorded(std::string_view endpoint) const;
  void clear_recorded();
  // Records discarded because max_recorded was reached.
  uint64_t recorded_dropped() const;
  // Websocket connections currently open plus HTTP requests in progress.
  size_t open_connections() const;
  // Payload bytes of websocket frames the simulator generated but has not handed to a socket
  // yet, over all connections. Bounded per connection (TTS renders audio a few frames ahead;
  // a client that reads slower than it makes the simulator write is not read meanwhile).
  size_t queued_bytes() const;
  // Websocket connections / HTTP requests accepted per endpoint since start.
  uint64_t accepted(std::string_view endpoint) const;

  class Impl;

 private:
  explicit Simulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Writes a self-signed EC (P-256) certificate (CN localhost) with the given SANs, by default
// DNS:localhost and IP:127.0.0.1, and its key as PEM files, for TLS tests (valid for 2 days).
Status write_test_certificate(const std::string &cert_file, const std::string &key_file,
                              const std::string &subject_alt_names = "DNS:localhost,IP:127.0.0.1");

}  // namespace voxline::sim
