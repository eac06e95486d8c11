// C ABI: buffers returned to the host and their free functions.
#include "buffers.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "voxline.h"

namespace voxline::capi {

char *copy_string(std::string_view text) {
  auto *s = static_cast<char *>(std::malloc(text.size() + 1));
  if (s == nullptr) throw std::bad_alloc();
  if (!text.empty()) std::memcpy(s, text.data(), text.size());
  s[text.size()] = '\0';
  return s;
}

uint32_t *copy_tokens(const uint32_t *ids, size_t n) {
  if (n == 0) return nullptr;
  if (n > SIZE_MAX / sizeof(uint32_t)) throw std::bad_alloc();
  auto *out = static_cast<uint32_t *>(std::malloc(n * sizeof(uint32_t)));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, ids, n * sizeof(uint32_t));
  return out;
}

}  // namespace voxline::capi

extern "C" void voxline_string_free(char *s) {
  std::free(s);
}

extern "C" void voxline_tokens_free(uint32_t *tokens) {
  std::free(tokens);
}
