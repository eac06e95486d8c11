#include "tokenizer/unicode_class.hpp"

namespace voxline::tokenizer::detail {

#include "tokenizer/unicode/unicode_tables.inc"

static_assert(kUnicodeBlockShift == kUnicodeShift, "regenerate unicode_tables.inc");
static_assert(sizeof(kUnicodeStage1Table) / sizeof(kUnicodeStage1Table[0]) == (0x110000u >> kUnicodeShift),
              "stage 1 covers every code point");

}  // namespace voxline::tokenizer::detail
