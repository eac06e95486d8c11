// File: handles.hpp
// The registry of live C handles: every voxline_* handle is recorded here when it is created
// and removed when it is freed, so a NULL, freed or wrong-kind pointer passed to an entry point
// is refused with INVALID_ARGUMENT instead of being dereferenced, and freeing twice is a no-op.
// Internal to capi/; never installed.
//
//   voxline_tokenizer *t = new voxline_tokenizer{...};
//   capi::add_handle(t, capi::HandleKind::kTokenizer);           // may throw std::bad_alloc
//   VOXLINE_RETURN_IF_ERROR(capi::check_handle(t, capi::HandleKind::kTokenizer));
//   if (capi::remove_handle(t, capi::HandleKind::kTokenizer)) delete t;
//
// Limit: a stale pointer whose address a newer handle of the same kind reuses is that newer
// handle; the registry cannot tell them apart.
// Thread-safety: any thread (one internal mutex). It does not make a call that races with the
// free of the same handle safe; the header forbids that.
#pragma once

#include "voxline/core/status.hpp"

namespace voxline::capi {

enum class HandleKind { kTokenizer, kDatabase, kSessionStore, kRuntime };

// "tokenizer", "database", ... for messages.
const char *handle_kind_name(HandleKind kind) noexcept;

// Records `handle` as live. Throws std::bad_alloc when the registry cannot grow.
void add_handle(const void *handle, HandleKind kind);

// Forgets `handle`; true when it was live with this kind (the caller then deletes it), false for
// NULL, a freed pointer or another kind (the caller then does nothing).
bool remove_handle(const void *handle, HandleKind kind) noexcept;

// OK for a live handle of `kind`; INVALID_ARGUMENT "NULL <kind> handle" or "<kind> handle
// 0x... is not live (freed already, or not a <kind>)" otherwise.
Status check_handle(const void *handle, HandleKind kind);

}  // namespace voxline::capi
