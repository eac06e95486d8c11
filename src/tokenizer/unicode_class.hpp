// Character classes of the pre-tokenisation regexes (Unicode 16.0, generated tables) and a UTF-8
// reader that never fails: a byte outside a well-formed sequence is one character of class kOther.
#pragma once

#include <cstddef>
#include <cstdint>

namespace voxline::tokenizer::detail {

enum CharClass : uint8_t {
  kOther = 0,        // punctuation, symbols, controls, unassigned, ill-formed bytes
  kUpper = 1,        // Lu, Lt
  kLower = 2,        // Ll
  kOtherLetter = 3,  // Lm, Lo
  kMark = 4,         // M (Mn, Mc, Me)
  kNumber = 5,       // N (Nd, Nl, No)
  kSpace = 6,        // White_Space
  kEnd = 7,          // past the end of the text
};

// Generated two-stage table (unicode/unicode_tables.inc), defined in unicode_class.cpp.
extern const unsigned short kUnicodeStage1Table[];
extern const unsigned char kUnicodeStage2Table[];
constexpr unsigned kUnicodeShift = 7;

// Class of a code point (0..0x10FFFF; callers never pass more).
inline uint8_t unicode_class(uint32_t cp) noexcept {
  return kUnicodeStage2Table[(static_cast<uint32_t>(kUnicodeStage1Table[cp >> kUnicodeShift])
                              << kUnicodeShift) |
                             (cp & ((1u << kUnicodeShift) - 1))];
}

struct CharAt {
  uint8_t cls;
  uint8_t len;  // bytes; 0 at the end of the text
};

extern const unsigned char kAsciiClass[128];

// Reads the character at s[i] (i <= n). Ill-formed bytes are reported as {kOther, 1}.
__attribute__((always_inline)) inline CharAt char_at(const unsigned char *s, size_t n, size_t i) noexcept {
  if (i >= n) return {kEnd, 0};
  const unsigned char b0 = s[i];
  if (b0 < 0x80) return {kAsciiClass[b0], 1};
  const size_t left = n - i;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (left >= 2 && (s[i + 1] & 0xC0) == 0x80)
      return {unicode_class(((b0 & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu)), 2};
    return {kOther, 1};
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3) return {kOther, 1};
    const unsigned char b1 = s[i + 1], b2 = s[i + 2];
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;  // no overlongs
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;  // no surrogates
    if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80) return {kOther, 1};
    return {unicode_class(((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu)), 3};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4) return {kOther, 1};
    const unsigned char b1 = s[i + 1], b2 = s[i + 2], b3 = s[i + 3];
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80 || (b3 & 0xC0) != 0x80) return {kOther, 1};
    return {unicode_class(((b0 & 0x07u) << 18) | ((b1 & 0x3Fu) << 12) | ((b2 & 0x3Fu) << 6) | (b3 & 0x3Fu)),
            4};
  }
  return {kOther, 1};
}

}  // namespace voxline::tokenizer::detail
