// Maps libpq errors (SQLSTATE + the error's fields) to voxline Status codes and DbError
// (internal to the PostgreSQL backend).
#pragma once

#include <string>
#include <string_view>

#include <libpq-fe.h>

#include "voxline/core/status.hpp"
#include "voxline/storage/db_error.hpp"

namespace voxline::detail {

// The canonical code for a five-character SQLSTATE (class first, a few exact codes).
StatusCode pg_status_code(std::string_view sqlstate) noexcept;

// The DbError a failed result names: kind from SQLSTATE, constraint from the error's
// constraint_name (NOT NULL: "<table>.<column>"; a trigger's RAISE '<code>: <text>': <code>),
// table and column from its fields. kind is kNone when it is not a constraint violation.
DbError pg_db_error(std::string_view sqlstate, const char *constraint, const char *table, const char *column,
                    std::string_view message);

// Status for a failed PGresult (`what` says which step: "prepare", "step", "begin").
Status pg_result_status(const PGresult *res, std::string_view what);
// Status for a connection-level failure (no result): UNAVAILABLE with libpq's message.
Status pg_connection_status(const PGconn *conn, std::string_view what);

}  // namespace voxline::detail
