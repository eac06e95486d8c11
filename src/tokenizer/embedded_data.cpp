#include "tokenizer/embedded_data.hpp"

#include <cstdint>

// .incbin keeps the 2.3 MB of tables out of the C++ front end; the symbols are hidden so they do
// not leave libvoxline.
#define VOXLINE_TOK_INCBIN(sym, file)                                     \
  __asm__(                                                                \
      ".pushsection .rodata\n"                                            \
      ".global " #sym "_begin\n.hidden " #sym "_begin\n.balign 16\n" #sym \
      "_begin:\n.incbin \"" VOXLINE_TOKENIZER_DATA_DIR "/" file           \
      "\"\n"                                                              \
      ".global " #sym "_end\n.hidden " #sym "_end\n" #sym                 \
      "_end:\n.byte 0\n"                                                  \
      ".popsection\n")

VOXLINE_TOK_INCBIN(voxline_tok_o200k, "o200k_base.vxtk");
VOXLINE_TOK_INCBIN(voxline_tok_cl100k, "cl100k_base.vxtk");

extern "C" {
extern const char voxline_tok_o200k_begin[];
extern const char voxline_tok_o200k_end[];
extern const char voxline_tok_cl100k_begin[];
extern const char voxline_tok_cl100k_end[];
}

namespace voxline::tokenizer::detail {
namespace {
// Distinct symbols: compare addresses as integers, not as pointers into one array.
std::string_view span(const char *begin, const char *end) {
  return std::string_view(begin, reinterpret_cast<uintptr_t>(end) - reinterpret_cast<uintptr_t>(begin));
}
}  // namespace

std::string_view embedded_o200k_base() noexcept {
  return span(voxline_tok_o200k_begin, voxline_tok_o200k_end);
}
std::string_view embedded_cl100k_base() noexcept {
  return span(voxline_tok_cl100k_begin, voxline_tok_cl100k_end);
}

}  // namespace voxline::tokenizer::detail
