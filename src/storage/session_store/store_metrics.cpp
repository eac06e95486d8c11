#include "storage/session_store/store_metrics.hpp"

namespace voxline::detail {

const char *store_op_name(StoreOp op) noexcept {
  switch (op) {
    case StoreOp::kGet: return "get";
    case StoreOp::kPut: return "put";
    case StoreOp::kPatch: return "patch";
    case StoreOp::kDelete: return "delete";
    case StoreOp::kHold: return "hold";
    case StoreOp::kRelease: return "release";
    case StoreOp::kConfirm: return "confirm";
    case StoreOp::kCancel: return "cancel";
    case StoreOp::kSlotState: return "slot_state";
    case StoreOp::kRate: return "rate";
    case StoreOp::kPing: return "ping";
    case StoreOp::kCount: break;
  }
  return "unknown";
}

StoreMetrics::StoreMetrics(MetricsRegistry &registry, const std::string &backend)
    : reconnects(registry.counter("voxline_session_store_reconnects_total",
                                  "Connections opened to replace lost ones", {{"backend", backend}})),
      connect_failures(registry.counter("voxline_session_store_connect_failures_total",
                                        "Connection attempts that failed", {{"backend", backend}})),
      script_reloads(registry.counter("voxline_session_store_script_reloads_total",
                                      "Lua scripts re-sent with EVAL after NOSCRIPT",
                                      {{"backend", backend}})),
      pool_waits(registry.counter("voxline_session_store_pool_waits_total",
                                  "Operations that waited for a free pooled connection",
                                  {{"backend", backend}})),
      pool_size(registry.gauge("voxline_session_store_pool_size", "Open connections in the pool",
                               {{"backend", backend}})),
      pool_in_use(registry.gauge("voxline_session_store_pool_in_use", "Pooled connections lent out",
                                 {{"backend", backend}})),
      registry_(registry),
      backend_(backend),
      timeouts_(registry.counter("voxline_session_store_timeouts_total", "Operations that hit their deadline",
                                 {{"backend", backend}})) {
  for (int i = 0; i < static_cast<int>(StoreOp::kCount); ++i) {
    const char *name = store_op_name(static_cast<StoreOp>(i));
    ops_[i] = &registry.counter("voxline_session_store_ops_total", "Session store operations by kind",
                                {{"backend", backend}, {"op", name}});
    latency_[i] = &registry.histogram("voxline_session_store_op_ms", "Session store operation latency",
                                      Histogram::latency_ms_buckets(), {{"backend", backend}, {"op", name}});
  }
}

void StoreMetrics::record(StoreOp op, double ms, const Status &outcome) {
  const int i = static_cast<int>(op);
  if (i < 0 || i >= static_cast<int>(StoreOp::kCount)) return;
  ops_[i]->inc();
  latency_[i]->observe(ms);
  if (outcome.ok()) return;
  // NOT_FOUND and CONFLICT are answers, not failures of the store.
  if (outcome.code() == StatusCode::kNotFound || outcome.code() == StatusCode::kConflict) return;
  if (outcome.code() == StatusCode::kTimeout) timeouts_.inc();
  registry_
      .counter("voxline_session_store_errors_total", "Session store operations that failed",
               {{"backend", backend_}, {"code", status_code_name(outcome.code())}})
      .inc();
}

}  // namespace voxline::detail
