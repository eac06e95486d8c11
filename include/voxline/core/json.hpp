// File: json.hpp
// JSON helpers over RapidJSON for data that comes from outside (servers, config files, tool
// arguments): parsing with size/depth limits and UTF-8 validation, and typed getters that
// return errors, never assert, on missing or mistyped fields.
//
//   VOXLINE_ASSIGN_OR_RETURN(json::Document doc, json::parse(body));
//   VOXLINE_ASSIGN_OR_RETURN(std::string_view type, json::get_string(doc, "type"));
//   VOXLINE_ASSIGN_OR_RETURN(auto interim, json::get_optional_bool(doc, "is_final"));
//
// Views returned by the getters point into the Value and live as long as it does.
// Thread-safety: free functions; a Document is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "voxline/core/result.hpp"

namespace voxline::json {

using Value = rapidjson::Value;
using Document = rapidjson::Document;

struct ParseLimits {
  size_t max_bytes = 16u << 20;  // larger input is refused before parsing
  size_t max_depth = 128;        // deeper nesting is refused (DOM teardown is recursive)
};

// Parses `text` as one JSON value (trailing non-space bytes are an error). Errors carry the byte
// offset and RapidJSON's reason: INVALID_ARGUMENT for local input such as config, callers that
// parse peer data map it to PROTOCOL_ERROR with with_context().
VOXLINE_API Result<Document> parse(std::string_view text, const ParseLimits &limits = {});

// Parses documents one after another into the same fixed buffers, so a stream of small documents
// (SSE chunks) costs no allocation per document; a larger one borrows heap chunks that the next
// parse frees. Same checks and errors as parse(). The Value returned lives until the next parse()
// or the parser's destruction. Not copyable or movable; one thread at a time.
class VOXLINE_API ReusableParser {
 public:
  explicit ReusableParser(size_t buffer_bytes = 16u << 10);
  ReusableParser(const ReusableParser &) = delete;
  ReusableParser &operator=(const ReusableParser &) = delete;

  Result<const Value *> parse(std::string_view text, const ParseLimits &limits = {});

 private:
  using Pool = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
  std::unique_ptr<char[]> value_buffer_;
  std::unique_ptr<char[]> stack_buffer_;
  Pool value_pool_;
  Pool stack_pool_;  // the parser's own stack: its frees are no-ops, so it never reallocates
  rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool> doc_;
};

// "null", "bool", "object", "array", "string", "number".
VOXLINE_API const char *type_name(const Value &v) noexcept;

// Required fields: INVALID_ARGUMENT naming the key when `obj` is not an object, the key is
// missing, or its value has another type (or does not fit the integer type).
VOXLINE_API Result<std::string_view> get_string(const Value &obj, std::string_view key);
VOXLINE_API Result<int64_t> get_int64(const Value &obj, std::string_view key);
VOXLINE_API Result<uint64_t> get_uint64(const Value &obj, std::string_view key);
VOXLINE_API Result<int> get_int(const Value &obj, std::string_view key);
VOXLINE_API Result<double> get_double(const Value &obj, std::string_view key);  // any number
VOXLINE_API Result<bool> get_bool(const Value &obj, std::string_view key);
VOXLINE_API Result<const Value *> get_object(const Value &obj, std::string_view key);
VOXLINE_API Result<const Value *> get_array(const Value &obj, std::string_view key);

// Optional fields: a missing key or a JSON null gives std::nullopt; a present value of the
// wrong type is still an error.
VOXLINE_API Result<std::optional<std::string_view>> get_optional_string(const Value &obj,
                                                                        std::string_view key);
VOXLINE_API Result<std::optional<int64_t>> get_optional_int64(const Value &obj, std::string_view key);
VOXLINE_API Result<std::optional<double>> get_optional_double(const Value &obj, std::string_view key);
VOXLINE_API Result<std::optional<bool>> get_optional_bool(const Value &obj, std::string_view key);
VOXLINE_API Result<const Value *> get_optional_object(const Value &obj,
                                                      std::string_view key);  // nullptr if absent
VOXLINE_API Result<const Value *> get_optional_array(const Value &obj,
                                                     std::string_view key);  // nullptr if absent

// Member lookup without exceptions or asserts: nullptr when `obj` is not an object or lacks `key`.
VOXLINE_API const Value *find(const Value &obj, std::string_view key) noexcept;

// Compact serialisation of a value.
VOXLINE_API std::string to_string(const Value &v);
// `text` as a quoted, escaped JSON string literal.
VOXLINE_API std::string quote(std::string_view text);

// A string view of a string Value (caller has checked IsString()).
inline std::string_view view(const Value &v) noexcept {
  return {v.GetString(), v.GetStringLength()};
}

}  // namespace voxline::json
