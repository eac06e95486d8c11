// Argument checks, document normalisation and the RFC 7386 merge patch of every SessionStore
// backend.
#include "storage/session_store/session_store_checks.hpp"

#include <fmt/format.h>

#include "voxline/core/json.hpp"
#include "voxline/storage/session_store.hpp"

namespace voxline {

namespace detail {

Status validate_store_id(std::string_view id, std::string_view what) {
  if (id.empty()) return invalid_argument(fmt::format("{} is empty", what));
  if (id.size() > SessionStore::kMaxIdBytes)
    return invalid_argument(
        fmt::format("{} is {} bytes; at most {} are allowed", what, id.size(), SessionStore::kMaxIdBytes));
  for (size_t i = 0; i < id.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(id[i]);
    // Braces would change the Redis Cluster hash tag; spaces/control bytes make keys unreadable.
    if (c <= 0x20 || c >= 0x7f || c == '{' || c == '}')
      return invalid_argument(fmt::format(
          "{} has a forbidden byte 0x{:02x} at offset {} (printable ASCII without space or braces only)",
          what, static_cast<unsigned>(c), i));
  }
  return Status::Ok();
}

Status validate_ttl(Millis ttl, std::string_view what) {
  if (ttl.count() <= 0)
    return invalid_argument(fmt::format("{} must be positive, got {} ms", what, ttl.count()));
  if (ttl > SessionStore::kMaxTtl)
    return invalid_argument(fmt::format("{} of {} ms exceeds the maximum of {} ms", what, ttl.count(),
                                        Millis(SessionStore::kMaxTtl).count()));
  return Status::Ok();
}

Result<std::string> normalize_document(std::string_view text) {
  if (text.size() > SessionStore::kMaxDocumentBytes)
    return invalid_argument(fmt::format("session document is {} bytes; at most {} are allowed", text.size(),
                                        SessionStore::kMaxDocumentBytes));
  json::ParseLimits limits;
  limits.max_bytes = SessionStore::kMaxDocumentBytes;
  limits.max_depth = 64;
  auto doc = json::parse(text, limits);
  if (!doc.ok()) return doc.status().with_context("session document");
  if (!doc->IsObject())
    return invalid_argument(
        fmt::format("session document must be a JSON object, got {}", json::type_name(*doc)));
  std::string out = json::to_string(*doc);
  if (out.size() > SessionStore::kMaxDocumentBytes)
    return invalid_argument("session document exceeds the size limit once serialised");
  return out;
}

namespace {

// RFC 7386 MergePatch(target, patch), in place. `alloc` owns target's memory.
void merge_into(json::Value &target, const json::Value &patch, json::Document::AllocatorType &alloc) {
  if (!patch.IsObject()) {
    target.CopyFrom(patch, alloc);
    return;
  }
  if (!target.IsObject()) target.SetObject();
  for (auto it = patch.MemberBegin(); it != patch.MemberEnd(); ++it) {
    const json::Value &name = it->name;
    if (it->value.IsNull()) {
      auto gone = target.FindMember(name);
      if (gone != target.MemberEnd()) target.EraseMember(gone);  // Erase keeps member order
      continue;
    }
    auto found = target.FindMember(name);
    if (found != target.MemberEnd()) {
      merge_into(found->value, it->value, alloc);
    } else {
      json::Value fresh;  // null: merging an object into it strips the patch's own nulls
      merge_into(fresh, it->value, alloc);
      json::Value key(name, alloc);
      target.AddMember(key, fresh, alloc);
    }
  }
}

}  // namespace

Result<std::string> apply_merge_patch(std::string_view document, std::string_view patch) {
  json::ParseLimits limits;
  limits.max_bytes = SessionStore::kMaxDocumentBytes;
  limits.max_depth = 64;
  auto target = json::parse(document, limits);
  if (!target.ok()) return target.status().with_context("stored session document");
  auto p = json::parse(patch, limits);
  if (!p.ok()) return p.status().with_context("merge patch");
  if (!p->IsObject())
    return invalid_argument(fmt::format("merge patch must be a JSON object, got {}", json::type_name(*p)));
  merge_into(*target, *p, target->GetAllocator());
  std::string out = json::to_string(*target);
  if (out.size() > SessionStore::kMaxDocumentBytes)
    return invalid_argument(fmt::format("patched session document would be {} bytes; at most {} are allowed",
                                        out.size(), SessionStore::kMaxDocumentBytes));
  return out;
}

}  // namespace detail

}  // namespace voxline
