// File: utf8.hpp
// Strict UTF-8 validation (RFC 3629): what a websocket text message (RFC 6455 8.1, close code
// 1007) and a C ABI string input must be. Overlong forms, UTF-16 surrogates (U+D800..U+DFFF),
// code points above U+10FFFF and truncated sequences are invalid; NUL is a valid character.
//
//   if (!utf8_valid(text)) return invalid_argument("text is not UTF-8");
//   size_t bad = utf8_invalid_at(text);  // offset of the first bad byte, or text.size()
//
// Cost: ASCII runs are checked 8 bytes at a time; no allocation.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

#include "voxline/core/export.hpp"

namespace voxline {

// The offset of the first byte that does not start or continue a valid sequence (the start of
// a truncated sequence at the end counts), or data.size() when all of it is valid UTF-8.
VOXLINE_API size_t utf8_invalid_at(std::string_view data) noexcept;

inline bool utf8_valid(std::string_view data) noexcept {
  return utf8_invalid_at(data) == data.size();
}

}  // namespace voxline
