// C ABI: version and status names.
#include "voxline.h"

#include "voxline/core/status.hpp"
#include "voxline/core/version.hpp"

static_assert(static_cast<int>(voxline::StatusCode::kInternal) == VOXLINE_E_INTERNAL,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kUnsupported) == VOXLINE_E_UNSUPPORTED,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kTimeout) == VOXLINE_E_TIMEOUT, "C and C++ codes differ");

extern "C" const char *voxline_version(void) {
  return voxline::version_string();
}

extern "C" const char *voxline_status_str(voxline_status status) {
  return voxline::status_code_name(static_cast<voxline::StatusCode>(status));
}
