// Internal: what every I/O loop of one Runtime shares (options, metrics, logger, resolver).
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
