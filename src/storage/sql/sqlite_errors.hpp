// Maps SQLite result codes to voxline Status codes (internal to the SQLite backend).
#pragma once

#include <string_view>

#include <sqlite3.h>

#include "voxline/core/status.hpp"
#include "voxline/storage/db_error.hpp"

namespace voxline::detail {

// The DbError SQLite's extended code and message say by themselves: the kind, the SQLSTATE,
// CHECK names, trigger codes and the table.columns of UNIQUE / PRIMARY KEY / NOT NULL. UNIQUE
// index names and which foreign key failed need the schema (sqlite_constraints.hpp).
// kind is kNone for a code that is not a constraint.
DbError sqlite_db_error(int extended, std::string_view message);

// `extended` is sqlite3_extended_errcode(), `message` is sqlite3_errmsg() (already copied),
// `what` says which step failed ("step", "prepare", "open"). Constraint failures carry a DbError
// (`constraint`, when given, instead of the one sqlite_db_error derives).
Status sqlite_status(int extended, std::string_view message, std::string_view what);
Status sqlite_status(int extended, std::string_view message, std::string_view what, DbError constraint);

}  // namespace voxline::detail
