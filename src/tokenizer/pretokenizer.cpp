#include "tokenizer/pretokenizer.hpp"

#include "tokenizer/unicode_class.hpp"

namespace voxline::tokenizer::detail {
namespace {

inline bool is_letter(uint8_t c) {
  return c >= kUpper && c <= kOtherLetter;
}
// [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
inline bool is_up(uint8_t c) {
  return c == kUpper || c == kOtherLetter || c == kMark;
}
// [\p{Ll}\p{Lm}\p{Lo}\p{M}]
inline bool is_lo(uint8_t c) {
  return c >= kLower && c <= kMark;
}
// [^\s\p{L}\p{N}]
inline bool is_punct(uint8_t c) {
  return c == kOther || c == kMark;
}

struct Text {
  const unsigned char *s;
  size_t n;
  __attribute__((always_inline)) CharAt at(size_t i) const { return char_at(s, n, i); }
  bool byte_is(size_t i, unsigned char b) const { return i < n && s[i] == b; }
  bool is_cr_lf(size_t i) const { return i < n && (s[i] == '\r' || s[i] == '\n'); }
  // [^\r\n\p{L}\p{N}]
  bool is_a(size_t i, CharAt c) const {
    return (c.cls == kOther || c.cls == kMark || c.cls == kSpace) && !is_cr_lf(i);
  }
  // (?i:'s|'t|'re|'ve|'m|'ll|'d) at i: length in bytes, 0 if none. Case-insensitive matching
  // uses Unicode simple case folding, under which U+017F (long s) also matches 's'.
  size_t contraction(size_t i) const {
    if (!byte_is(i, '\'') || i + 1 >= n) return 0;
    const unsigned char c = s[i + 1] | 0x20;
    if (s[i + 1] < 0x80) {
      if (c == 's' || c == 't' || c == 'm' || c == 'd') return 2;
      if (i + 2 < n && s[i + 2] < 0x80) {
        const unsigned char d = s[i + 2] | 0x20;
        if ((c == 'r' && d == 'e') || (c == 'v' && d == 'e') || (c == 'l' && d == 'l')) return 3;
      }
      return 0;
    }
    if (s[i + 1] == 0xC5 && byte_is(i + 2, 0xBF)) return 3;  // U+017F
    return 0;
  }
  // \p{N}{1,3}
  size_t numbers(size_t i) const {
    size_t e = i;
    for (int k = 0; k < 3; ++k) {
      const CharAt c = at(e);
      if (c.cls != kNumber) break;
      e += c.len;
    }
    return e;
  }
  // ' ?[^\s\p{L}\p{N}]+' then [\r\n]* (and '/' for o200k). Returns i when it does not match.
  size_t punctuation(size_t i, bool slash) const {
    size_t e = i;
    CharAt c = at(e);
    if (s[i] == ' ') {
      const CharAt d = at(i + 1);
      if (!is_punct(d.cls)) return i;
      e = i + 1;
      c = d;
    } else if (!is_punct(c.cls)) {
      return i;
    }
    while (is_punct(c.cls)) {
      e += c.len;
      c = at(e);
    }
    while (e < n && (s[e] == '\r' || s[e] == '\n' || (slash && s[e] == '/'))) ++e;
    return e;
  }
  // \s*[\r\n]+ | \s+(?!\S) | \s+ at a white-space character.
  size_t whitespace(size_t i) const {
    size_t e = i, last_newline_end = 0, last_start = i;
    CharAt c = at(e);
    while (c.cls == kSpace) {
      last_start = e;
      e += c.len;
      if (s[e - 1] == '\r' || s[e - 1] == '\n') last_newline_end = e;
      c = at(e);
    }
    if (last_newline_end != 0) return last_newline_end;
    if (e >= n) return e;
    if (last_start > i) return last_start;  // give the last space to the next piece
    return e;
  }
  // o200k branch 1 body from `st`: [UP]*[LO]+ ; 0 when it does not match.
  size_t o200k_lower_word(size_t st) const {
    size_t e = st, last_lo_end = 0;
    CharAt c = at(e);
    while (is_up(c.cls)) {
      e += c.len;
      if (c.cls != kUpper) last_lo_end = e;  // Lm, Lo, M are in both classes
      c = at(e);
    }
    if (c.cls == kLower) {
      while (is_lo(c.cls)) {
        e += c.len;
        c = at(e);
      }
      return e;
    }
    return last_lo_end;  // backtrack: the last UP char that is also LO ends the LO+ run
  }
  // o200k branch 2 body from `st`: [UP]+[LO]* ; 0 when it does not match.
  size_t o200k_upper_word(size_t st) const {
    size_t e = st;
    CharAt c = at(e);
    if (!is_up(c.cls)) return 0;
    while (is_up(c.cls)) {
      e += c.len;
      c = at(e);
    }
    while (is_lo(c.cls)) {
      e += c.len;
      c = at(e);
    }
    return e;
  }
};

// ASCII byte kinds for the fast path.
enum : uint8_t { kAUpper = 1, kALower = 2, kADigit = 4, kASpace = 8, kAPunct = 16, kACrLf = 32 };
constexpr uint8_t ascii_kind(unsigned c) {
  return (c >= 'A' && c <= 'Z')              ? kAUpper
         : (c >= 'a' && c <= 'z')            ? kALower
         : (c >= '0' && c <= '9')            ? kADigit
         : (c == '\r' || c == '\n')          ? (kASpace | kACrLf)
         : (c == ' ' || (c >= 9 && c <= 13)) ? kASpace
                                             : kAPunct;
}
struct AsciiKinds {
  uint8_t k[256];
  constexpr AsciiKinds() : k() {
    for (unsigned c = 0; c < 128; ++c) k[c] = ascii_kind(c);
  }
};
constexpr AsciiKinds kKinds;  // non-ASCII bytes: 0

// The regex on pure-ASCII stretches, which is most English text and code. Returns 0 to mean
// "not decided here" (a non-ASCII byte where it matters, or a rarer case): then the general
// matcher runs from i. Results are identical to the general matcher whenever non-zero.
template <bool kO200k>
inline size_t ascii_fast_path(const Text &t, size_t i) {
  const unsigned char *s = t.s;
  const size_t n = t.n;
  auto kind = [&](size_t j) -> uint8_t { return j < n ? kKinds.k[s[j]] : kASpace | 128; };  // 128: end
  const uint8_t k0 = kKinds.k[s[i]];
  if (k0 == 0) return 0;
  size_t st = i;
  if (k0 & (kAUpper | kALower)) {
    st = i;
  } else if ((k0 & (kAPunct | kASpace)) && !(k0 & kACrLf) && (kind(i + 1) & (kAUpper | kALower))) {
    if (!kO200k && s[i] == '\'') return 0;  // cl100k tries contractions first
    st = i + 1;
  } else if (k0 & kADigit) {
    size_t e = i + 1;
    while (e < n && e < i + 3 && (kKinds.k[s[e]] & kADigit)) ++e;
    if (e < i + 3 && e < n && s[e] >= 0x80) return 0;  // a non-ASCII digit could follow
    return e;
  } else if (k0 & kAPunct) {
    size_t e = i;
    while (e < n && (kKinds.k[s[e]] & kAPunct)) ++e;
    if (e < n && s[e] >= 0x80) return 0;
    while (e < n && (s[e] == '\r' || s[e] == '\n' || (kO200k && s[e] == '/'))) ++e;
    return e;
  } else if (s[i] == ' ' && (kind(i + 1) & kAPunct) && !(kind(i + 1) & 128)) {
    size_t e = i + 1;
    while (e < n && (kKinds.k[s[e]] & kAPunct)) ++e;
    if (e < n && s[e] >= 0x80) return 0;
    while (e < n && (s[e] == '\r' || s[e] == '\n' || (kO200k && s[e] == '/'))) ++e;
    return e;
  } else {
    return 0;  // white space runs and anything else: general matcher
  }
  size_t e = st;
  if (kO200k) {
    while (e < n && (kKinds.k[s[e]] & kAUpper)) ++e;
    while (e < n && (kKinds.k[s[e]] & kALower)) ++e;
    if (e < n && s[e] >= 0x80) return 0;  // a non-ASCII letter or mark may continue the word
    return e + t.contraction(e);
  }
  while (e < n && (kKinds.k[s[e]] & (kAUpper | kALower))) ++e;
  if (e < n && s[e] >= 0x80) return 0;
  return e;
}

}  // namespace

size_t next_piece_o200k(const unsigned char *s, size_t n, size_t i) noexcept {
  const Text t{s, n};
  if (const size_t e = ascii_fast_path<true>(t, i)) return e;
  const CharAt c0 = t.at(i);
  const bool a = t.is_a(i, c0);
  // 1: [^\r\n\p{L}\p{N}]?[UP]*[LO]+(?i:contraction)?  and  2: [^\r\n\p{L}\p{N}]?[UP]+[LO]*(...)?
  if (a || is_letter(c0.cls) || c0.cls == kMark) {
    size_t e = 0;
    if (a) e = t.o200k_lower_word(i + c0.len);
    if (e == 0) e = t.o200k_lower_word(i);
    if (e == 0 && a) e = t.o200k_upper_word(i + c0.len);
    if (e == 0) e = t.o200k_upper_word(i);
    if (e != 0) return e + t.contraction(e);
  }
  if (c0.cls == kNumber) return t.numbers(i);
  const size_t p = t.punctuation(i, /*slash=*/true);
  if (p != i) return p;
  if (c0.cls == kSpace) return t.whitespace(i);
  return i + (c0.len ? c0.len : 1);  // unreachable: every class is covered above
}

size_t next_piece_cl100k(const unsigned char *s, size_t n, size_t i) noexcept {
  const Text t{s, n};
  if (const size_t e = ascii_fast_path<false>(t, i)) return e;
  // 1: (?i:'s|'t|'re|'ve|'m|'ll|'d)
  if (const size_t k = t.contraction(i)) return i + k;
  const CharAt c0 = t.at(i);
  // 2: [^\r\n\p{L}\p{N}]?\p{L}+
  size_t st = i;
  if (t.is_a(i, c0)) {
    if (is_letter(t.at(i + c0.len).cls)) st = i + c0.len;
  }
  if (st != i || is_letter(c0.cls)) {
    size_t e = st;
    CharAt c = t.at(e);
    while (is_letter(c.cls)) {
      e += c.len;
      c = t.at(e);
    }
    return e;
  }
  if (c0.cls == kNumber) return t.numbers(i);
  const size_t p = t.punctuation(i, /*slash=*/false);
  if (p != i) return p;
  if (c0.cls == kSpace) return t.whitespace(i);
  return i + (c0.len ? c0.len : 1);
}

}  // namespace voxline::tokenizer::detail
