// File: runtime.hpp
// Runtime: the process's network engine. It owns a small fixed number of slots (net/slot.hpp);
// each slot is one thread running one libuv loop that drives websockets (our RFC 6455 client),
// HTTP, timers and posted tasks for every session pinned to it. Nothing creates a thread per
// connection or per session. DNS runs on a small resolver pool with a TTL cache, never on a slot thread;
// websockets connect to the resolved addresses (each in turn) while the original host name stays
// in the Host header, TLS SNI and certificate verification.
//
//   RuntimeOptions o;                            // 1 slot, TLS verification on
//   o.tls.ca_file = "/etc/voxline/ca.pem";       // optional extra trust anchor
//   VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<Runtime> rt, Runtime::create(o));
//   std::shared_ptr<Slot> slot = rt->pick_slot();     // a session keeps this for its lifetime
//   auto ws = slot->connect_websocket(ws_options, ws_handler);
//   auto http = slot->start_http(request, http_handler);
//
// HTTP: the runtime's own HTTP/1.1 client, or libcurl (HTTP/2 over ALPN; RuntimeOptions::
// http_client), runs on the same slot loop, so HTTP callbacks run on the slot thread too.
// Global setup (curl_global_init, lws log routing) happens once inside the first create().
// lws logs go to the logger of the most recently created live Runtime (lws 4.1 has one global
// log hook).
// Lifetime: destroying the Runtime ends every live connection and stream with a CANCELLED
// terminal event (delivered on its slot thread), runs no pending task or timer, and joins all
// threads; do not destroy it from one of its own slot threads. Slot and connection handles
// outliving the Runtime are inert (calls return FAILED_PRECONDITION).
// Thread-safety: every method may be called from any thread, including from callbacks.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "voxline/core/config.hpp"
#include "voxline/core/defaults.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/net/dns_resolver.hpp"
#include "voxline/net/http_stream.hpp"
#include "voxline/net/rate_limiter.hpp"
#include "voxline/net/slot.hpp"
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

// Which client runs a slot's HTTP requests (Slot::start_http, LlmClient).
enum class HttpClient {
  // kCurl when a proxy is set in the environment (http_proxy, https_proxy, all_proxy, in either
  // case), else kHttp1.
  kAuto,
  // The runtime's own HTTP/1.1 client on the slot loop, on the TCP/TLS transport the websockets
  // use: keep-alive connections pooled per slot and origin, one request per connection at a time.
  // Cancelling a response mid-body closes its connection, and a replacement is opened at once
  // when the origin has no idle one, so the next request pays no handshake. About a quarter to a
  // third less CPU per SSE chunk than libcurl's path (bench/llm_bench). No proxy support.
  kHttp1,
  // libcurl (multi_socket on the slot loop): HTTP/2 over ALPN where the server offers it, with
  // streams to one origin multiplexed on one connection (cancelling resets only that stream),
  // and the proxies of the environment.
  kCurl,
};

struct RuntimeOptions {
  int slots = defaults::kSlots;       // slot threads (one libuv loop each), kMinSlots..kMaxSlots
  size_t task_queue_capacity = 8192;  // pending posted tasks per slot; more gives QUEUE_FULL
  // Live websockets + HTTP streams over all slots; more gives QUEUE_FULL. create() checks that
  // RLIMIT_NOFILE (raised to the hard limit when needed) leaves room for them.
  size_t max_connections = 4096;
  // Wake-up coalescing. When a loop pass ends sooner than this after it began (events arrive
  // faster than the loop wakes), the slot naps for the rest of the window before it polls again,
  // so what arrived meanwhile is handled in one pass: fewer epoll wake-ups, context switches
  // and syscalls per message. A pass that waited longer (a quiet loop) polls again at once, so
  // the first event after a quiet spell is handled immediately; under load an event, a post()
  // from another thread included, waits at most this long. A nap never passes a due timer or
  // ready work. 0 = poll as soon as anything is ready; 0..defaults::kMaxIoCoalesceUs.
  std::chrono::microseconds io_coalesce{defaults::kIoCoalesceUs};
  // HTTP/2 streams multiplexed on one connection before another is opened to the same origin.
  // libcurl 7.88 handles every event of a multiplexed connection in time that grows with its
  // streams: one SSE chunk cost 27 us at 100 streams per connection and 18-20 us at 16-20
  // (bench/net_bench --sse-h2), so the default keeps connections small. 1..1000.
  int http_max_streams_per_connection = defaults::kHttpMaxStreamsPerConnection;
  HttpClient http_client = HttpClient::kAuto;
  TlsOptions tls;
  DnsOptions dns;
  // Name lookup run on the resolver threads; empty = getaddrinfo. For tests and custom resolvers.
  DnsResolver::LookupFn dns_lookup;
  MetricsRegistry *metrics = nullptr;  // nullptr = MetricsRegistry::global()
  Logger *logger = nullptr;            // nullptr = default_logger()
};

// The Runtime settings a Config carries (runtime.slots, tls.*); the rest keep their defaults.
VOXLINE_API RuntimeOptions runtime_options_from(const Config &config);

class VOXLINE_API Runtime {
 public:
  // Starts the slot threads and the resolver. INVALID_ARGUMENT for bad options (slots out of
  // range, unreadable ca_file); FAILED_PRECONDITION when RLIMIT_NOFILE cannot cover
  // max_connections; INTERNAL if libwebsockets, libuv or libcurl cannot start.
  static Result<std::unique_ptr<Runtime>> create(const RuntimeOptions &options = {});
  ~Runtime();
  Runtime(const Runtime &) = delete;
  Runtime &operator=(const Runtime &) = delete;

  // The slot with the lowest load() (ties: the lowest index). A session keeps the returned
  // handle and opens everything through it.
  std::shared_ptr<Slot> pick_slot();
  // Slot `index` (0..slot_count()-1); nullptr when out of range.
  std::shared_ptr<Slot> slot(int index);
  int slot_count() const noexcept;

  // Conveniences for one-off use: pick_slot()->connect_websocket / start_http. Callbacks run on
  // whichever slot was picked.
  Result<std::shared_ptr<WsConnection>> connect_websocket(const WsConnectOptions &options,
                                                          std::shared_ptr<WsHandler> handler);
  Result<std::shared_ptr<HttpStream>> start_http(HttpRequest request,
                                                 std::shared_ptr<HttpStreamHandler> handler);

  MetricsRegistry &metrics() noexcept;
  DnsResolver &resolver() noexcept;  // logs to RuntimeOptions::logger
  // Rate limiters scoped to this Runtime (two Runtimes never share a budget by accident):
  //   auto llm = rt->rate_limiters().get("openai", {/*rpm*/ 500, /*tpm*/ 30000});
  // Limiters live while the Runtime or a holder of their shared_ptr does.
  RateLimiterRegistry &rate_limiters() noexcept;
  // Websockets and HTTP streams that have not delivered their terminal event yet.
  size_t active_websockets() const noexcept;
  size_t active_http_streams() const noexcept;

  struct Impl;

 private:
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace voxline
