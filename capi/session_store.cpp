// C ABI: voxline_session_store over make_session_store (memory:// or redis://).
#include <memory>
#include <string>

#include "buffers.hpp"
#include "capi_internal.hpp"
#include "handles.hpp"
#include "options.hpp"
#include "voxline/core/health.hpp"
#include "voxline/storage/session_store_factory.hpp"

struct voxline_session_store {
  std::unique_ptr<voxline::SessionStore> impl;
};

namespace {

using voxline::Status;
using voxline::capi::HandleKind;

// The live store (held for the call) behind `st`, after checking `call_id` is there.
voxline::Result<std::shared_ptr<voxline_session_store>> use_store(const voxline_session_store *st,
                                                                  const char *call_id) {
  VOXLINE_ASSIGN_OR_RETURN(auto live, voxline::capi::use_handle(st, HandleKind::kSessionStore));
  if (call_id == nullptr) return voxline::invalid_argument("NULL call_id");
  return live;
}

}  // namespace

extern "C" voxline_status voxline_session_store_options_init(voxline_session_store_options *o,
                                                             unsigned version) {
  return voxline::capi::guard([&]() -> Status {
    if (o == nullptr) return voxline::invalid_argument("NULL voxline_session_store_options");
    VOXLINE_RETURN_IF_ERROR(voxline::capi::check_options_version(
        version, VOXLINE_SESSION_STORE_OPTIONS_VERSION, "voxline_session_store_options"));
    o->version = version;
    o->key_prefix = nullptr;
    o->pool_size = static_cast<unsigned>(voxline::defaults::kStorePoolSize);
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_session_store_open(voxline_session_store **out, const char *url,
                                                     const voxline_session_store_options *opts) {
  return voxline::capi::guard([&]() -> Status {
    if (out == nullptr) return voxline::invalid_argument("NULL out pointer (voxline_session_store **)");
    *out = nullptr;
    if (url == nullptr) return voxline::invalid_argument("NULL session store URL");
    voxline_session_store_options o;
    voxline_session_store_options_init(&o, VOXLINE_SESSION_STORE_OPTIONS_VERSION);
    if (opts != nullptr) {
      VOXLINE_RETURN_IF_ERROR(voxline::capi::check_options_version(
          opts->version, VOXLINE_SESSION_STORE_OPTIONS_VERSION, "voxline_session_store_options"));
      // Field by field: a caller built against an older header passes a shorter struct.
      o.key_prefix = opts->key_prefix;
      o.pool_size = opts->pool_size;
    }
    if (o.pool_size < 1 || o.pool_size > 1024)
      return voxline::invalid_argument("pool_size " + std::to_string(o.pool_size) +
                                       " is out of range (1..1024)");
    voxline::SessionStoreConfig config;
    config.url = url;
    if (o.key_prefix != nullptr && o.key_prefix[0] != '\0') config.key_prefix = o.key_prefix;
    config.redis_pool_size = o.pool_size;
    VOXLINE_ASSIGN_OR_RETURN(std::unique_ptr<voxline::SessionStore> store,
                             voxline::make_session_store(config));
    auto handle = std::make_shared<voxline_session_store>(voxline_session_store{std::move(store)});
    voxline::capi::add_handle(handle, HandleKind::kSessionStore);
    *out = handle.get();
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_session_store_get(voxline_session_store *st, const char *call_id,
                                                    int64_t timeout_ms, char **json, uint64_t *version,
                                                    int64_t *ttl_remaining_ms) {
  return voxline::capi::guard([&]() -> Status {
    if (json != nullptr) *json = nullptr;
    if (version != nullptr) *version = 0;
    if (ttl_remaining_ms != nullptr) *ttl_remaining_ms = 0;
    VOXLINE_ASSIGN_OR_RETURN(const auto live, use_store(st, call_id));
    if (json == nullptr) return voxline::invalid_argument("NULL json pointer");
    VOXLINE_ASSIGN_OR_RETURN(voxline::Deadline deadline, voxline::capi::deadline_from_timeout(timeout_ms));
    VOXLINE_ASSIGN_OR_RETURN(voxline::SessionDocument doc, live->impl->get_session(call_id, deadline));
    *json = voxline::capi::copy_string(doc.json);
    if (version != nullptr) *version = doc.version;
    if (ttl_remaining_ms != nullptr) *ttl_remaining_ms = doc.ttl_remaining.count();
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_session_store_put(voxline_session_store *st, const char *call_id,
                                                    const char *json, int64_t ttl_ms,
                                                    uint64_t expected_version, int64_t timeout_ms,
                                                    uint64_t *new_version) {
  return voxline::capi::guard([&]() -> Status {
    if (new_version != nullptr) *new_version = 0;
    VOXLINE_ASSIGN_OR_RETURN(const auto live, use_store(st, call_id));
    if (json == nullptr) return voxline::invalid_argument("NULL json");
    VOXLINE_ASSIGN_OR_RETURN(voxline::Deadline deadline, voxline::capi::deadline_from_timeout(timeout_ms));
    VOXLINE_ASSIGN_OR_RETURN(uint64_t v, live->impl->put_session(call_id, json, voxline::Millis(ttl_ms),
                                                                 expected_version, deadline));
    if (new_version != nullptr) *new_version = v;
    return Status::Ok();
  });
}

extern "C" voxline_status voxline_session_store_delete(voxline_session_store *st, const char *call_id,
                                                       int64_t timeout_ms) {
  return voxline::capi::guard([&]() -> Status {
    VOXLINE_ASSIGN_OR_RETURN(const auto live, use_store(st, call_id));
    VOXLINE_ASSIGN_OR_RETURN(voxline::Deadline deadline, voxline::capi::deadline_from_timeout(timeout_ms));
    return live->impl->delete_session(call_id, deadline);
  });
}

extern "C" voxline_status voxline_session_store_health_json(voxline_session_store *st, int64_t timeout_ms,
                                                            char **json) {
  return voxline::capi::guard([&]() -> Status {
    if (json != nullptr) *json = nullptr;
    VOXLINE_ASSIGN_OR_RETURN(const auto live, voxline::capi::use_handle(st, HandleKind::kSessionStore));
    if (json == nullptr) return voxline::invalid_argument("NULL json pointer");
    voxline::Deadline deadline = voxline::Deadline::after(voxline::defaults::kStoreHealthTimeout);
    if (timeout_ms > 0) {
      VOXLINE_ASSIGN_OR_RETURN(deadline, voxline::capi::deadline_from_timeout(timeout_ms));
    }
    voxline::HealthReport report;
    report.add(live->impl->ping(deadline));
    *json = voxline::capi::copy_string(report.to_json());
    return Status::Ok();
  });
}

extern "C" void voxline_session_store_close(voxline_session_store *st) {
  voxline::capi::release_handle(st, HandleKind::kSessionStore);
}
