// File: handles.hpp
// The registry of live C handles. Every voxline_* handle object is owned here (a shared_ptr)
// from its creation until its release function runs, so:
//   - a NULL, released or wrong-kind pointer passed to an entry point is refused with
//     INVALID_ARGUMENT instead of being dereferenced, and releasing twice is a no-op;
//   - an entry point holds its own reference for the length of the call, so a release that
//     races with calls on the same handle (a Python finaliser, a host's shutdown thread) never
//     frees the object under a running call: the last call to return destroys it.
// Internal to capi/; never installed.
//
//   auto tok = std::make_shared<voxline_tokenizer>(...);
//   capi::add_handle(tok, capi::HandleKind::kTokenizer);       // may throw std::bad_alloc
//   *out = tok.get();
//   VOXLINE_ASSIGN_OR_RETURN(auto t, capi::use_handle(h, capi::HandleKind::kTokenizer));
//   capi::release_handle(h, capi::HandleKind::kTokenizer);     // in voxline_tokenizer_free
//
// Limit: a stale pointer whose address a newer handle of the same kind reuses is that newer
// handle; the registry cannot tell them apart. Addresses are only reused after the object was
// destroyed, i.e. after every call that used it returned.
// Thread-safety: any thread (one internal mutex, never held while a handle object is destroyed).
#pragma once

#include <memory>

#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"

namespace voxline::capi {

enum class HandleKind { kTokenizer, kDatabase, kSessionStore, kRuntime };

// "tokenizer", "database", ... for messages.
const char *handle_kind_name(HandleKind kind) noexcept;

// Records `object` as the live handle object.get(). Throws std::bad_alloc when the registry
// cannot grow (the handle is then not live and `object` is the caller's to drop).
void add_handle(std::shared_ptr<void> object, HandleKind kind);

// Forgets `handle` and returns the registry's reference (empty for NULL, a released pointer or
// another kind). Dropping it destroys the object unless a call still holds it.
std::shared_ptr<void> release_handle(const void *handle, HandleKind kind) noexcept;

// The object of a live handle of `kind`, kept alive while the result is; INVALID_ARGUMENT
// "NULL <kind> handle" or "<kind> handle 0x... is not live (released already, or not a <kind>)".
Result<std::shared_ptr<void>> find_handle(const void *handle, HandleKind kind);

// find_handle() typed as the handle's own struct.
template <typename T>
Result<std::shared_ptr<T>> use_handle(const T *handle, HandleKind kind) {
  Result<std::shared_ptr<void>> found = find_handle(handle, kind);
  if (!found.ok()) return found.status();
  return std::static_pointer_cast<T>(std::move(found).value());
}

}  // namespace voxline::capi
