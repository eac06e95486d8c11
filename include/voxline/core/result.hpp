// File: result.hpp
// Result<T>: either a value or a non-OK Status. Accessing the value of an error Result is a
// programming error (checked: it throws std::logic_error inside the library, which the C ABI
// guard turns into INTERNAL), so always test ok() first or use VOXLINE_ASSIGN_OR_RETURN.
//
//   Result<int> r = parse_port(text);
//   if (!r.ok()) return r.status();
//   use(*r);
#pragma once

#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "voxline/core/status.hpp"

namespace voxline {

template <typename T>
class Result {
  static_assert(!std::is_same_v<std::decay_t<T>, Status>, "Result<Status> makes no sense");

 public:
  // Implicit from a value or from an error status, so `return value;` and `return status;` work.
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok())
      status_ = Status(StatusCode::kInternal, "Result built from an OK status without a value");
  }

  bool ok() const noexcept { return value_.has_value(); }
  // OK when a value is held.
  const Status &status() const noexcept { return status_; }

  T &value() & {
    check();
    return *value_;
  }
  const T &value() const & {
    check();
    return *value_;
  }
  T &&value() && {
    check();
    return std::move(*value_);
  }
  T value_or(T fallback) const & { return ok() ? *value_ : std::move(fallback); }

  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T &&operator*() && { return std::move(*this).value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

 private:
  void check() const {
    if (!value_) throw std::logic_error("voxline::Result accessed without a value: " + status_.to_string());
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace voxline

#define VOXLINE_CONCAT_INNER_(a, b) a##b
#define VOXLINE_CONCAT_(a, b) VOXLINE_CONCAT_INNER_(a, b)
// VOXLINE_ASSIGN_OR_RETURN(auto x, expr): declares x from a Result or returns its status.
#define VOXLINE_ASSIGN_OR_RETURN(decl, expr) \
  VOXLINE_ASSIGN_OR_RETURN_IMPL_(VOXLINE_CONCAT_(voxline_result_, __LINE__), decl, expr)
#define VOXLINE_ASSIGN_OR_RETURN_IMPL_(tmp, decl, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  decl = std::move(tmp).value()
