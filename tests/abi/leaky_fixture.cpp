// A shared library that exports a C++ function beside a C one: check_exports.cmake must reject it.
#include <string>

extern "C" __attribute__((visibility("default"))) int voxline_fixture_ok(void) {
  return 1;
}

namespace voxline {
__attribute__((visibility("default"))) std::string leaked_cpp_symbol(int n) {
  return std::to_string(n);
}
}  // namespace voxline
