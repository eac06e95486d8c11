// C ABI: the registry of live handles (handles.hpp).
#include "handles.hpp"

#include <cstdio>
#include <string>
#include <unordered_map>

#include "voxline/core/thread_annotations.hpp"

namespace voxline::capi {
namespace {

struct Registry {
  Mutex mu;
  std::unordered_map<const void *, HandleKind> live VOXLINE_GUARDED_BY(mu);
};

// Never destroyed: a host thread may still free a handle while the process runs its exit-time
// destructors.
Registry &registry() {
  static Registry *r = new Registry();
  return *r;
}

}  // namespace

const char *handle_kind_name(HandleKind kind) noexcept {
  switch (kind) {
    case HandleKind::kTokenizer: return "tokenizer";
    case HandleKind::kDatabase: return "database";
    case HandleKind::kSessionStore: return "session store";
    case HandleKind::kRuntime: return "runtime";
  }
  return "unknown";
}

void add_handle(const void *handle, HandleKind kind) {
  Registry &r = registry();
  MutexLock lock(r.mu);
  r.live[handle] = kind;
}

bool remove_handle(const void *handle, HandleKind kind) noexcept {
  if (handle == nullptr) return false;
  Registry &r = registry();
  MutexLock lock(r.mu);
  auto it = r.live.find(handle);
  if (it == r.live.end() || it->second != kind) return false;
  r.live.erase(it);
  return true;
}

Status check_handle(const void *handle, HandleKind kind) {
  const char *name = handle_kind_name(kind);
  if (handle == nullptr) return invalid_argument(std::string("NULL ") + name + " handle");
  {
    Registry &r = registry();
    MutexLock lock(r.mu);
    auto it = r.live.find(handle);
    if (it != r.live.end() && it->second == kind) return Status::Ok();
  }
  char address[32];
  std::snprintf(address, sizeof address, "%p", handle);
  return invalid_argument(std::string(name) + " handle " + address +
                          " is not live (freed already, or not a " + name + ")");
}

}  // namespace voxline::capi
