// Internal: what every slot of one Runtime shares (options, metrics, logger, resolver). Held by
// shared_ptr so handles outliving the Runtime never see it freed.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "voxline/core/log.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/dns_resolver.hpp"
#include "voxline/net/runtime.hpp"

namespace voxline::detail {

struct NetContext {
  RuntimeOptions options;
  MetricsRegistry *metrics = nullptr;
  Logger *logger = nullptr;
  DnsResolver *resolver = nullptr;
  std::atomic<int64_t> active_ws{0};
  std::atomic<int64_t> active_http{0};

  // Instruments touched per message or per stream, resolved once so the I/O threads never pay a
  // registry lookup (lock + map search) on the hot path. Set by bind_instruments().
  struct Instruments {
    Counter *ws_bytes_sent = nullptr;
    Counter *ws_bytes_received = nullptr;
    Counter *http_bytes_sent = nullptr;
    Counter *http_bytes_received = nullptr;
    Counter *command_rejected = nullptr;
    Counter *ws_send_rejected = nullptr;
    Gauge *ws_send_queue_high_water = nullptr;
    Gauge *command_high_water = nullptr;
    Gauge *ws_open = nullptr;
    Gauge *http_open = nullptr;
  } m;

  void bind_instruments() {
    const char *sent = "Payload bytes sent";
    const char *received = "Payload bytes received";
    m.ws_bytes_sent = &metrics->counter("voxline_net_bytes_sent_total", sent, {{"transport", "ws"}});
    m.ws_bytes_received =
        &metrics->counter("voxline_net_bytes_received_total", received, {{"transport", "ws"}});
    m.http_bytes_sent = &metrics->counter("voxline_net_bytes_sent_total", sent, {{"transport", "http"}});
    m.http_bytes_received =
        &metrics->counter("voxline_net_bytes_received_total", received, {{"transport", "http"}});
    m.command_rejected = &metrics->counter("voxline_net_command_queue_rejected_total",
                                           "Cross-thread requests (slot tasks) refused: queue full");
    m.ws_send_rejected =
        &metrics->counter("voxline_net_ws_send_rejected_total", "Websocket sends refused: queue full");
    m.ws_send_queue_high_water = &metrics->gauge("voxline_net_ws_send_queue_high_water",
                                                 "Largest websocket send queue seen (messages)");
    m.command_high_water =
        &metrics->gauge("voxline_net_command_queue_high_water", "Largest command queue depth seen");
    m.ws_open = &metrics->gauge("voxline_net_ws_connections_open", "Websocket connections currently open");
    m.http_open = &metrics->gauge("voxline_net_http_streams_open", "HTTP streams in flight");
  }

  Counter &timeouts(const std::string &phase) {
    return metrics->counter("voxline_net_timeouts_total", "Deadlines that expired, by phase",
                            {{"phase", phase}});
  }
  // Counts a terminal error by its status code name (API errors, transport failures, timeouts).
  void count_error(const char *transport, const Status &s) {
    metrics
        ->counter("voxline_net_errors_total", "Streams that ended with an error, by transport and status",
                  {{"transport", transport}, {"status", status_code_name(s.code())}})
        .inc();
  }
};

// A process-wide id for connections and streams.
uint64_t next_stream_id() noexcept;

}  // namespace voxline::detail
