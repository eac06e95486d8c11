// Completes a constraint DbError from the schema where SQLite's message does not say enough
// (internal to the SQLite backend): the name of the UNIQUE index that refused a row, and which
// foreign key of the written table failed. Runs only after a constraint failure.
#pragma once

#include <string_view>

#include <sqlite3.h>

#include "voxline/storage/db_error.hpp"

namespace voxline::detail {

// kUnique with table + columns: names the CREATE UNIQUE INDEX over exactly those columns
// (SQLite's message lists only the columns). Leaves `e` as it is when none matches.
void resolve_unique_index(sqlite3 *db, DbError &e);

// kForeignKey: sets the table `sql` writes to and, for INSERT/UPDATE, the foreign key that
// failed ("<table>_<columns>_fkey"). With several foreign keys it re-runs `failed` (reset, same
// bindings) inside a savepoint with deferred foreign keys and asks foreign_key_check, then rolls
// the savepoint back. Returns false when that rollback failed (the connection is then unusable).
bool resolve_foreign_key(sqlite3 *db, sqlite3_stmt *failed, std::string_view sql, DbError &e);

// The table an INSERT / REPLACE / UPDATE / DELETE statement writes to ("" for anything else).
std::string_view written_table(std::string_view sql);

}  // namespace voxline::detail
