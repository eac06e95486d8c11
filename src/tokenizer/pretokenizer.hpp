// Hand-written matchers for tiktoken's pre-tokenisation regexes (pat_str), with the ordered
// alternation and backtracking semantics of fancy-regex. The pieces tile the text.
#pragma once

#include <cstddef>
#include <string_view>

#include "voxline/tokenizer/encoding.hpp"

namespace voxline::tokenizer::detail {

// End (exclusive) of the piece starting at byte i (< n); always > i.
size_t next_piece_o200k(const unsigned char *s, size_t n, size_t i) noexcept;
size_t next_piece_cl100k(const unsigned char *s, size_t n, size_t i) noexcept;

// Calls f(std::string_view piece) for every piece of `text`, left to right.
template <typename F>
void for_each_piece(PatternKind kind, std::string_view text, F &&f) {
  const auto *s = reinterpret_cast<const unsigned char *>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  if (kind == PatternKind::kO200k) {
    while (i < n) {
      const size_t e = next_piece_o200k(s, n, i);
      f(text.substr(i, e - i));
      i = e;
    }
  } else {
    while (i < n) {
      const size_t e = next_piece_cl100k(s, n, i);
      f(text.substr(i, e - i));
      i = e;
    }
  }
}

}  // namespace voxline::tokenizer::detail
