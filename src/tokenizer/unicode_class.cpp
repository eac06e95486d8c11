#include "tokenizer/unicode_class.hpp"

namespace voxline::tokenizer::detail {
namespace {
#include "tokenizer/unicode/unicode_tables.inc"

constexpr uint8_t class_of(uint32_t cp) {
  if (cp >= 0x110000) return kOther;
  return kUnicodeStage2[(static_cast<uint32_t>(kUnicodeStage1[cp >> kUnicodeBlockShift])
                         << kUnicodeBlockShift) |
                        (cp & ((1u << kUnicodeBlockShift) - 1))];
}
// ASCII classes come from the generated table too (constant-initialised), one source of truth.
constexpr uint8_t ascii_class(unsigned c) {
  return class_of(c);
}
}  // namespace

uint8_t unicode_class(uint32_t cp) noexcept {
  return class_of(cp);
}

extern const uint8_t kAsciiClass[128] = {
#define VX_A(i) ascii_class(i)
#define VX_A8(i) \
  VX_A(i), VX_A(i + 1), VX_A(i + 2), VX_A(i + 3), VX_A(i + 4), VX_A(i + 5), VX_A(i + 6), VX_A(i + 7)
    VX_A8(0),  VX_A8(8),  VX_A8(16), VX_A8(24), VX_A8(32), VX_A8(40),  VX_A8(48),  VX_A8(56),
    VX_A8(64), VX_A8(72), VX_A8(80), VX_A8(88), VX_A8(96), VX_A8(104), VX_A8(112), VX_A8(120),
#undef VX_A8
#undef VX_A
};

}  // namespace voxline::tokenizer::detail
