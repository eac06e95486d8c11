// C ABI: the registry of live handles (handles.hpp).
#include "handles.hpp"

#include <cstdio>
#include <string>
#include <unordered_map>
#include <utility>

#include "voxline/core/thread_annotations.hpp"

namespace voxline::capi {
namespace {

struct Entry {
  HandleKind kind;
  std::shared_ptr<void> object;
};

struct Registry {
  Mutex mu;
  std::unordered_map<const void *, Entry> live VOXLINE_GUARDED_BY(mu);
};

// Never destroyed: a host thread may still use or release a handle while the process runs its
// exit-time destructors. Handles never released stay reachable from here (not reported as leaks).
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

void add_handle(std::shared_ptr<void> object, HandleKind kind) {
  Registry &r = registry();
  const void *key = object.get();
  MutexLock lock(r.mu);
  r.live.insert_or_assign(key, Entry{kind, std::move(object)});
}

std::shared_ptr<void> release_handle(const void *handle, HandleKind kind) noexcept {
  if (handle == nullptr) return nullptr;
  std::shared_ptr<void> owner;  // dropped by the caller, after the lock is released
  Registry &r = registry();
  MutexLock lock(r.mu);
  auto it = r.live.find(handle);
  if (it == r.live.end() || it->second.kind != kind) return nullptr;
  owner = std::move(it->second.object);
  r.live.erase(it);
  return owner;
}

Result<std::shared_ptr<void>> find_handle(const void *handle, HandleKind kind) {
  const char *name = handle_kind_name(kind);
  if (handle == nullptr) return invalid_argument(std::string("NULL ") + name + " handle");
  {
    Registry &r = registry();
    MutexLock lock(r.mu);
    auto it = r.live.find(handle);
    if (it != r.live.end() && it->second.kind == kind) return it->second.object;
  }
  char address[32];
  std::snprintf(address, sizeof address, "%p", handle);
  return invalid_argument(std::string(name) + " handle " + address +
                          " is not live (released already, or not a " + name + ")");
}

}  // namespace voxline::capi
