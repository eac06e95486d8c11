// DbError: names and the one-line description of a structured database error.
#include "voxline/storage/db_error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace voxline {

const char *constraint_kind_name(ConstraintKind kind) noexcept {
  switch (kind) {
    case ConstraintKind::kNone: return "NONE";
    case ConstraintKind::kUnique: return "UNIQUE";
    case ConstraintKind::kPrimaryKey: return "PRIMARY KEY";
    case ConstraintKind::kCheck: return "CHECK";
    case ConstraintKind::kNotNull: return "NOT NULL";
    case ConstraintKind::kForeignKey: return "FOREIGN KEY";
    case ConstraintKind::kTrigger: return "TRIGGER";
    case ConstraintKind::kOther: return "OTHER";
    case ConstraintKind::kExclusion: return "EXCLUSION";
  }
  return "OTHER";
}

std::string DbError::describe() const {
  std::string out = constraint_kind_name(kind);
  if (!constraint.empty()) out += " " + constraint;
  if (!table.empty()) out += fmt::format(" on {}({})", table, fmt::join(columns, ", "));
  out += fmt::format(" [sqlite {}, sqlstate {}]", sqlite_code, sqlstate.empty() ? "-" : sqlstate);
  return out;
}

const DbError *db_error(const Status &s) noexcept {
  return s.detail_as<DbError>();
}

bool violates(const Status &s, ConstraintKind kind, std::string_view constraint) noexcept {
  const DbError *e = db_error(s);
  return e != nullptr && e->kind == kind && e->constraint == constraint;
}

}  // namespace voxline
