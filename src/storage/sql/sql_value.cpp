// SqlValue and Row: checked typed access to result columns.
#include "voxline/storage/sql_value.hpp"

#include <climits>

#include <fmt/format.h>

namespace voxline {

const char *sql_type_name(SqlValue::Type type) noexcept {
  switch (type) {
    case SqlValue::Type::kNull: return "NULL";
    case SqlValue::Type::kInteger: return "INTEGER";
    case SqlValue::Type::kReal: return "REAL";
    case SqlValue::Type::kText: return "TEXT";
    case SqlValue::Type::kBlob: return "BLOB";
  }
  return "UNKNOWN";
}

Row::Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<SqlValue> values)
    : columns_(std::move(columns)), values_(std::move(values)) {
  if (!columns_) columns_ = std::make_shared<const std::vector<std::string>>();
  values_.resize(columns_->size());  // a row never has values without names
}

Result<size_t> Row::index_of(std::string_view column) const {
  for (size_t i = 0; i < columns_->size(); ++i) {
    if ((*columns_)[i] == column) return i;
  }
  std::string have;
  for (const auto &c : *columns_) have += (have.empty() ? "" : ", ") + c;
  return invalid_argument(fmt::format("no column '{}' in the result (columns: {})", column, have));
}

Result<SqlValue> Row::get(std::string_view column) const {
  VOXLINE_ASSIGN_OR_RETURN(size_t i, index_of(column));
  return values_[i];
}

Result<const SqlValue *> Row::typed(std::string_view column, SqlValue::Type want, bool allow_null) const {
  VOXLINE_ASSIGN_OR_RETURN(size_t i, index_of(column));
  const SqlValue &v = values_[i];
  if (v.is_null()) {
    if (allow_null) return &v;
    return invalid_argument(fmt::format("column '{}' is NULL, expected {}", column, sql_type_name(want)));
  }
  if (v.type() != want) {
    return invalid_argument(fmt::format("column '{}' holds {}, expected {}", column, sql_type_name(v.type()),
                                        sql_type_name(want)));
  }
  return &v;
}

Result<int64_t> Row::get_int64(std::string_view column) const {
  VOXLINE_ASSIGN_OR_RETURN(const SqlValue *v, typed(column, SqlValue::Type::kInteger, false));
  return v->integer();
}

Result<int> Row::get_int(std::string_view column) const {
  VOXLINE_ASSIGN_OR_RETURN(int64_t v, get_int64(column));
  if (v < INT_MIN || v > INT_MAX) {
    return invalid_argument(fmt::format("column '{}' value {} does not fit an int", column, v));
  }
  return static_cast<int>(v);
}

Result<double> Row::get_double(std::string_view column) const {
  VOXLINE_ASSIGN_OR_RETURN(size_t i, index_of(column));
  const SqlValue &v = values_[i];
  if (v.type() == SqlValue::Type::kInteger) return static_cast<double>(v.integer());
  VOXLINE_ASSIGN_OR_RETURN(const SqlValue *p, typed(column, SqlValue::Type::kReal, false));
  return p->real();
}

Result<std::string> Row::get_string(std::string_view column) const {
  VOXLINE_ASSIGN_OR_RETURN(const SqlValue *v, typed(column, SqlValue::Type::kText, false));
  return v->text();
}

Result<SqlBlob> Row::get_blob(std::string_view column) const {
  VOXLINE_ASSIGN_OR_RETURN(const SqlValue *v, typed(column, SqlValue::Type::kBlob, false));
  return v->blob();
}

Result<std::optional<int64_t>> Row::get_optional_int64(std::string_view column) const {
  VOXLINE_ASSIGN_OR_RETURN(const SqlValue *v, typed(column, SqlValue::Type::kInteger, true));
  if (v->is_null()) return std::optional<int64_t>();
  return std::optional<int64_t>(v->integer());
}

Result<std::optional<std::string>> Row::get_optional_string(std::string_view column) const {
  VOXLINE_ASSIGN_OR_RETURN(const SqlValue *v, typed(column, SqlValue::Type::kText, true));
  if (v->is_null()) return std::optional<std::string>();
  return std::optional<std::string>(v->text());
}

}  // namespace voxline
