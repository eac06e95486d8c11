#include "voxline/core/version.hpp"

namespace voxline {

const char *version_string() noexcept {
  return VOXLINE_VERSION_STRING;
}
int version_major() noexcept {
  return VOXLINE_VERSION_MAJOR;
}
int version_minor() noexcept {
  return VOXLINE_VERSION_MINOR;
}
int version_patch() noexcept {
  return VOXLINE_VERSION_PATCH;
}

}  // namespace voxline
