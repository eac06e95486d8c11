// Strict UTF-8 validation (see utf8.hpp): the well-formed byte sequences of RFC 3629 table 3-7.
#include "voxline/core/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace voxline {

size_t utf8_invalid_at(std::string_view data) noexcept {
  const auto *p = reinterpret_cast<const uint8_t *>(data.data());
  const size_t n = data.size();
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {  // most JSON is ASCII: skip it a word at a time
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const uint8_t b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    // The lead byte fixes the length and the allowed range of the second byte.
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;  // no overlong 3-byte forms
      if (b == 0xED) hi = 0x9F;  // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;  // no overlong 4-byte forms
      if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return i;  // a continuation byte, an overlong 2-byte lead (C0, C1) or F5..FF
    }
    if (i + len > n) return i;  // truncated at the end
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return n;
}

}  // namespace voxline
