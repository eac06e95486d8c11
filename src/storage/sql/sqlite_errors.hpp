// Maps SQLite result codes to voxline Status codes (internal to the SQLite backend).
#pragma once

#include <string_view>

#include <sqlite3.h>

#include "voxline/core/status.hpp"

namespace voxline::detail {

// `extended` is sqlite3_extended_errcode(), `message` is sqlite3_errmsg() (already copied),
// `what` says which step failed ("step", "prepare", "open").
Status sqlite_status(int extended, std::string_view message, std::string_view what);

}  // namespace voxline::detail
