// File: version.hpp
// The library version, from the CMake project version. Thread-safety: any thread.
#pragma once

#include "voxline/core/export.hpp"

namespace voxline {

// "MAJOR.MINOR.PATCH"; static storage, never NULL.
VOXLINE_API const char *version_string() noexcept;
VOXLINE_API int version_major() noexcept;
VOXLINE_API int version_minor() noexcept;
VOXLINE_API int version_patch() noexcept;

}  // namespace voxline
