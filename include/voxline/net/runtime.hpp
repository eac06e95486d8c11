// File: runtime.hpp
// Runtime: the process's network engine. A fixed, small number of I/O threads serve every
// websocket and HTTP stream of every session; nothing creates a thread per connection or session.
// Each I/O slot has one libwebsockets client context (websockets) on one thread and one libcurl
// multi handle (HTTP) on a sibling thread. Requests from other threads travel through a bounded
// command queue and wake the loop (lws_cancel_service / curl_multi_wakeup). DNS runs on a small
// resolver pool with a TTL cache, never on an I/O thread; connections go to the resolved address
// while the original host name stays in the Host header, TLS SNI and certificate verification.
//
//   RuntimeOptions o;                           // 1 I/O slot, TLS verification on
//   o.tls.ca_file = "/etc/voxline/ca.pem";      // optional extra trust anchor
//   VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Runtime> rt, Runtime::create(o));
//   auto ws = rt->connect_websocket(ws_options, ws_handler);
//   auto http = rt->start_http(request, http_handler);
//
// Global setup (curl_global_init, lws log routing) happens once inside the first create().
// Lifetime: destroying the Runtime ends every live connection and stream with a CANCELLED
// terminal event (delivered on its I/O thread) and joins all threads; do not destroy it from one
// of its own callbacks. Handles outliving the Runtime are inert (calls return FAILED_PRECONDITION).
// Thread-safety: every method may be called from any thread, including from callbacks.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "voxline/core/defaults.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/net/dns_resolver.hpp"
#include "voxline/net/http_stream.hpp"
#include "voxline/net/ws_connection.hpp"

namespace voxline {

class Logger;
class MetricsRegistry;

struct TlsOptions {
  // Extra trust anchor (PEM) used in addition to the system store; empty for the system store only.
  std::string ca_file;
  // Turns off certificate and host name verification. For tests only; logs a warning.
  bool insecure_skip_verify = false;
};

struct RuntimeOptions {
  int io_threads = defaults::kSlots;     // I/O slots (each: one lws thread + one curl thread), 1..kMaxSlots
  size_t command_queue_capacity = 8192;  // pending cross-thread requests per I/O thread
  TlsOptions tls;
  DnsOptions dns;
  // Name lookup run on the resolver threads; empty = getaddrinfo. For tests and custom resolvers.
  DnsResolver::LookupFn dns_lookup;
  MetricsRegistry *metrics = nullptr;  // nullptr = MetricsRegistry::global()
  Logger *logger = nullptr;            // nullptr = default_logger()
};

class VOXLINE_API Runtime {
 public:
  // Starts the I/O threads and the resolver. INVALID_ARGUMENT for bad options (io_threads out
  // of range, unreadable ca_file); INTERNAL if libwebsockets or libcurl cannot start.
  static Result<std::unique_ptr<Runtime>> create(const RuntimeOptions &options = {});
  ~Runtime();
  Runtime(const Runtime &) = delete;
  Runtime &operator=(const Runtime &) = delete;

  // Opens a websocket. INVALID_ARGUMENT for a bad URL or options, QUEUE_FULL when the I/O
  // thread's command queue is full; otherwise every outcome arrives through `handler`.
  Result<std::shared_ptr<WsConnection>> connect_websocket(const WsConnectOptions &options,
                                                          std::shared_ptr<WsHandler> handler);

  // Starts a streaming HTTP request. Same error rules as connect_websocket.
  Result<std::shared_ptr<HttpStream>> start_http(HttpRequest request,
                                                 std::shared_ptr<HttpStreamHandler> handler);

  int io_threads() const noexcept;
  MetricsRegistry &metrics() noexcept;
  DnsResolver &resolver() noexcept;
  // Websockets and HTTP streams that have not delivered their terminal event yet.
  size_t active_websockets() const noexcept;
  size_t active_http_streams() const noexcept;

  struct Impl;

 private:
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace voxline
