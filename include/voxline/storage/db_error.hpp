// File: db_error.hpp
// DbError: the structured form of a database error, attached to the Status that a failed
// statement returns (Transaction::query/execute, and every repository call that passes it on).
// It names the rule a row broke, so callers switch on data instead of searching message text:
//
//   Status s = tx.execute("INSERT INTO customers ...", {...});
//   if (violates(s, ConstraintKind::kUnique, "customers_phone_unique")) ...
//
// Constraint names: the schema's name where the backend knows it (CHECK constraints, indexes,
// the code a trigger RAISEs as "<code>: <text>"); otherwise PostgreSQL's default name, so one
// name works on both backends: "<table>_pkey" for a primary key, "<table>_<columns>_fkey" for a
// foreign key, "<table>_<columns>_key" for an unnamed UNIQUE, "<table>.<column>" for NOT NULL.
// SQLite fills it from its extended result code (sqlite_code) plus the schema; PostgreSQL fills
// it from SQLSTATE and the error's constraint_name. `sqlstate` is set for both (SQLite's codes
// map onto the SQLSTATE class 23 values).
//
// Ownership: a DbError is immutable and shared by the copies of its Status.
// Thread-safety: read-only after creation; safe to read from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"

namespace voxline {

enum class ConstraintKind {
  kNone,        // not a constraint violation (I/O, lock, syntax ...)
  kUnique,      // SQLITE_CONSTRAINT_UNIQUE, SQLSTATE 23505
  kPrimaryKey,  // SQLITE_CONSTRAINT_PRIMARYKEY / _ROWID, SQLSTATE 23505 on a *_pkey
  kCheck,       // SQLITE_CONSTRAINT_CHECK, SQLSTATE 23514
  kNotNull,     // SQLITE_CONSTRAINT_NOTNULL, SQLSTATE 23502
  kForeignKey,  // SQLITE_CONSTRAINT_FOREIGNKEY, SQLSTATE 23503
  kTrigger,     // a trigger's RAISE(ABORT, ...) (SQLITE_CONSTRAINT_TRIGGER), SQLSTATE P0001
  kOther,       // another constraint (datatype, ...)
  kExclusion,   // an EXCLUDE constraint (PostgreSQL only), SQLSTATE 23P01
};

// "UNIQUE", "PRIMARY KEY", "CHECK", "NOT NULL", "FOREIGN KEY", "TRIGGER", "EXCLUSION", "OTHER" or
// "NONE".
VOXLINE_API const char *constraint_kind_name(ConstraintKind kind) noexcept;

struct VOXLINE_API DbError final : StatusDetail {
  ConstraintKind kind = ConstraintKind::kNone;
  std::string constraint;            // see the naming rule above; empty when the backend cannot tell
  std::string table;                 // the table the violation is on, when known
  std::vector<std::string> columns;  // its columns, when known (UNIQUE, PRIMARY KEY, NOT NULL, FK)
  int sqlite_code = 0;               // SQLite extended result code; 0 on other backends
  std::string sqlstate;              // five-character SQLSTATE ("23505"), empty when none applies

  // "UNIQUE customers_phone_unique on customers(phone) [sqlite 2067, sqlstate 23505]".
  std::string describe() const override;
};

// The DbError carried by `s`, or nullptr.
VOXLINE_API const DbError *db_error(const Status &s) noexcept;
// True when `s` carries a violation of `kind` on the constraint named `constraint`.
VOXLINE_API bool violates(const Status &s, ConstraintKind kind, std::string_view constraint) noexcept;

}  // namespace voxline
