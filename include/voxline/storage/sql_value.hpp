// File: sql_value.hpp
// SqlValue, Row: the values a Database binds as statement parameters and returns as columns.
// A SqlValue is NULL, a 64-bit integer, a double, UTF-8 text or a blob. A Row gives typed,
// checked access to its columns: asking for a missing column, a NULL where a value is required
// or a value of another type returns INVALID_ARGUMENT naming the column, never crashes.
//
//   VOXLINE_ASSIGN_OR_RETURN(auto rows, tx.query("SELECT id, email FROM customers WHERE phone = ?",
//                                                {phone}));
//   for (const Row &r : rows) {
//     VOXLINE_ASSIGN_OR_RETURN(int64_t id, r.get_int64("id"));
//     VOXLINE_ASSIGN_OR_RETURN(std::optional<std::string> email, r.get_optional_string("email"));
//   }
//
// Ownership: values own their data; rows of one result share the column-name list.
// Thread-safety: plain values; distinct objects may be used from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"

namespace voxline {

// Raw bytes, kept apart from text so a blob is never bound as TEXT by accident.
struct SqlBlob {
  std::vector<uint8_t> bytes;
  friend bool operator==(const SqlBlob &a, const SqlBlob &b) { return a.bytes == b.bytes; }
};

class VOXLINE_API SqlValue {
 public:
  enum class Type { kNull, kInteger, kReal, kText, kBlob };

  SqlValue() noexcept = default;        // NULL
  SqlValue(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)
  // Every integer type except bool binds as INTEGER.
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  SqlValue(T v) noexcept : v_(static_cast<int64_t>(v)) {}  // NOLINT(google-explicit-constructor)
  // bool binds as INTEGER 0/1 (the portable subset has no boolean type).
  SqlValue(bool v) noexcept : v_(static_cast<int64_t>(v ? 1 : 0)) {}  // NOLINT
  SqlValue(double v) noexcept : v_(v) {}                              // NOLINT
  SqlValue(std::string v) : v_(std::move(v)) {}                       // NOLINT
  SqlValue(std::string_view v) : v_(std::string(v)) {}                // NOLINT
  // A null pointer binds as NULL.
  SqlValue(const char *v) {  // NOLINT
    if (v != nullptr) v_ = std::string(v);
  }
  SqlValue(SqlBlob v) : v_(std::move(v)) {}  // NOLINT
  // An empty optional binds as NULL.
  template <typename T>
  SqlValue(const std::optional<T> &v) : SqlValue() {  // NOLINT
    if (v) *this = SqlValue(*v);
  }

  Type type() const noexcept { return static_cast<Type>(v_.index()); }
  bool is_null() const noexcept { return type() == Type::kNull; }
  // Unchecked accessors: valid only when type() matches.
  int64_t integer() const { return std::get<int64_t>(v_); }
  double real() const { return std::get<double>(v_); }
  const std::string &text() const { return std::get<std::string>(v_); }
  const SqlBlob &blob() const { return std::get<SqlBlob>(v_); }

  friend bool operator==(const SqlValue &a, const SqlValue &b) { return a.v_ == b.v_; }
  friend bool operator!=(const SqlValue &a, const SqlValue &b) { return !(a == b); }

 private:
  std::variant<std::monostate, int64_t, double, std::string, SqlBlob> v_;
};

// "NULL", "INTEGER", "REAL", "TEXT", "BLOB".
VOXLINE_API const char *sql_type_name(SqlValue::Type type) noexcept;

using SqlParams = std::vector<SqlValue>;

class VOXLINE_API Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<SqlValue> values);

  size_t size() const noexcept { return values_.size(); }
  const std::vector<std::string> &column_names() const noexcept { return *columns_; }
  // Position of `column`, or INVALID_ARGUMENT listing the columns the row has.
  Result<size_t> index_of(std::string_view column) const;
  // The raw value, or INVALID_ARGUMENT when the column does not exist.
  Result<SqlValue> get(std::string_view column) const;

  // Required values: NULL, another type or a missing column is INVALID_ARGUMENT.
  Result<int64_t> get_int64(std::string_view column) const;
  Result<int> get_int(std::string_view column) const;        // also refuses values outside int
  Result<double> get_double(std::string_view column) const;  // INTEGER converts to double
  Result<std::string> get_string(std::string_view column) const;
  Result<SqlBlob> get_blob(std::string_view column) const;
  // Optional values: NULL gives std::nullopt; another type is still an error.
  Result<std::optional<int64_t>> get_optional_int64(std::string_view column) const;
  Result<std::optional<std::string>> get_optional_string(std::string_view column) const;

 private:
  Result<const SqlValue *> typed(std::string_view column, SqlValue::Type want, bool allow_null) const;
  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<SqlValue> values_;
};

using Rows = std::vector<Row>;

}  // namespace voxline
