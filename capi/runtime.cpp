// C ABI: voxline_runtime over voxline::Runtime.
#include <chrono>
#include <memory>
#include <string>

#include "buffers.hpp"
#include "capi_internal.hpp"
#include "handles.hpp"
#include "options.hpp"
#include "voxline/core/health.hpp"
#include "voxline/core/metrics.hpp"
#include "voxline/net/runtime.hpp"
#include "voxline/net/runtime_health.hpp"

struct voxline_runtime {
  std::unique_ptr<voxline::Runtime> impl;
};

namespace {

using voxline::Status;
using voxline::capi::HandleKind;

constexpr auto kRuntimeHealthTimeout = std::chrono::seconds(1);

// The metrics of a live runtime rendered by `render`, as a caller-owned string in *out.
template <typename Render>
Status copy_metrics(const voxline_runtime *rt, char **out, Render &&render) {
  if (out != nullptr) *out = nullptr;
  VOXLINE_ASSIGN_OR_RETURN(const auto live, voxline::capi::use_handle(rt, HandleKind::kRuntime));
  if (out == nullptr) return voxline::invalid_argument("NULL output string pointer");
  *out = voxline::capi::copy_string(render(live->impl->metrics()));
  return Status::Ok();
}

}  // namespace

extern "C" voxline_status voxline_runtime_options_init(voxline_runtime_options *o, unsigned version) {
  return voxline::capi::guard([&]() -> Status {
    if (o == nullptr) return voxline::invalid_argument("NULL voxline_runtime_options");
    VOXLINE_RETURN_IF_ERROR(voxline::capi::check_options_version(version, VOXLINE_RUNTIME_OPTIONS_VERSION,
                                                                 "voxline_runtime_options"));
    o->version = version;
    o->slots = voxline::defaults::kSlots;
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_runtime_create(voxline_runtime **out, const voxline_runtime_options *opts) {
  return voxline::capi::guard([&]() -> Status {
    if (out == nullptr) return voxline::invalid_argument("NULL out pointer (voxline_runtime **)");
    *out = nullptr;
    voxline::RuntimeOptions options;
    if (opts != nullptr) {
      VOXLINE_RETURN_IF_ERROR(voxline::capi::check_options_version(
          opts->version, VOXLINE_RUNTIME_OPTIONS_VERSION, "voxline_runtime_options"));
      options.slots = opts->slots;
    }
    VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<voxline::Runtime> rt, voxline::Runtime::create(options));
    auto handle = std::make_shared<voxline_runtime>(voxline_runtime{std::move(rt)});
    voxline::capi::add_handle(handle, HandleKind::kRuntime);
    *out = handle.get();
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_runtime_slot_count(const voxline_runtime *rt, int *slots) {
  return voxline::capi::guard([&]() -> Status {
    if (slots != nullptr) *slots = 0;
    VOXLINE_ASSIGN_OR_RETURN(const auto live, voxline::capi::use_handle(rt, HandleKind::kRuntime));
    if (slots == nullptr) return voxline::invalid_argument("NULL slots pointer");
    *slots = live->impl->slot_count();
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_runtime_metrics_json(const voxline_runtime *rt, char **json) {
  return voxline::capi::guard([&]() -> Status {
    return copy_metrics(rt, json, [](const voxline::MetricsRegistry &m) { return m.json(); });
  });
}

extern "C" voxline_status voxline_runtime_metrics_prometheus(const voxline_runtime *rt, char **text) {
  return voxline::capi::guard([&]() -> Status {
    return copy_metrics(rt, text, [](const voxline::MetricsRegistry &m) { return m.prometheus_text(); });
  });
}

extern "C" voxline_status voxline_runtime_health_json(const voxline_runtime *rt, int64_t timeout_ms,
                                                      char **json) {
  return voxline::capi::guard([&]() -> Status {
    if (json != nullptr) *json = nullptr;
    VOXLINE_ASSIGN_OR_RETURN(const auto live, voxline::capi::use_handle(rt, HandleKind::kRuntime));
    if (json == nullptr) return voxline::invalid_argument("NULL json pointer");
    voxline::Deadline deadline = voxline::Deadline::after(kRuntimeHealthTimeout);
    if (timeout_ms > 0) {
      VOXLINE_ASSIGN_OR_RETURN(deadline, voxline::capi::deadline_from_timeout(timeout_ms));
    }
    voxline::HealthReport report = voxline::core_health_report();
    report.merge(voxline::runtime_health_report(*live->impl, deadline));
    *json = voxline::capi::copy_string(report.to_json());
    return Status::Ok();
  });
}

extern "C" void voxline_runtime_destroy(voxline_runtime *rt) {
  voxline::capi::release_handle(rt, HandleKind::kRuntime);  // joins the slot threads
}
