// File: buffers.hpp
// Buffers handed to the host: allocated with malloc here and released only through the
// voxline_*_free function the header names (buffers.cpp), so the host never mixes allocators.
// Internal to capi/; never installed. Thread-safety: any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace voxline::capi {

// A NUL-terminated malloc'ed copy of `text`; throws std::bad_alloc when malloc fails.
char *copy_string(std::string_view text);

// A malloc'ed copy of `n` ids, nullptr for n == 0; throws std::bad_alloc when malloc fails.
uint32_t *copy_tokens(const uint32_t *ids, size_t n);

}  // namespace voxline::capi
