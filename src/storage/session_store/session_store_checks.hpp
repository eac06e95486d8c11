// File: session_store_checks.hpp
// The checks every SessionStore backend shares: identifier and TTL rules (INVALID_ARGUMENT naming
// `what`), document normalisation and the RFC 7386 merge patch. SessionStore's public methods
// call them before a backend's do_* method; RedisSessionStore checks its key prefix with
// validate_store_id. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "voxline/core/clock.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"

namespace voxline::detail {

// 1..SessionStore::kMaxIdBytes bytes of printable ASCII without space or braces.
Status validate_store_id(std::string_view id, std::string_view what);
// 1 ms..SessionStore::kMaxTtl.
Status validate_ttl(Millis ttl, std::string_view what);
// Checks that `json` is one JSON object within kMaxDocumentBytes; returns it compacted.
Result<std::string> normalize_document(std::string_view json);
// RFC 7386 merge of `patch` (a JSON object) into `document` (a JSON object); returns compact JSON.
Result<std::string> apply_merge_patch(std::string_view document, std::string_view patch);

}  // namespace voxline::detail
