// C ABI: version and status names.
#include "voxline/core/version.hpp"
#include "capi_internal.hpp"
#include "voxline/core/status.hpp"

extern "C" const char *voxline_version(void) {
  return voxline::capi::guard_value<const char *>("", [] { return voxline::version_string(); });
}

extern "C" const char *voxline_status_str(voxline_status status) {
  return voxline::capi::guard_value<const char *>(
      "UNKNOWN", [&] { return voxline::status_code_name(static_cast<voxline::StatusCode>(status)); });
}
