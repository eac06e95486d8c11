#include "voxline/core/json.hpp"

#include <limits>

#include <fmt/format.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace voxline::json {
namespace {

// Refuses nesting deeper than `max_depth` before RapidJSON builds (and later recursively frees)
// a DOM that deep. Only brackets outside strings count.
Status check_depth(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return invalid_argument(fmt::format("JSON nested deeper than {} levels at offset {}", max_depth, i));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return Status::Ok();
}

Status missing(std::string_view key) {
  return invalid_argument(fmt::format("field '{}' is missing", key));
}

Status mistyped(std::string_view key, const char *expected, const Value &got) {
  return invalid_argument(fmt::format("field '{}' must be {}, got {}", key, expected, type_name(got)));
}

Status not_object() {
  return invalid_argument("expected a JSON object");
}

// Looks up a member for the typed getters; nullptr with `*err` set when absent or not an object.
const Value *member(const Value &obj, std::string_view key, Status *err) {
  if (!obj.IsObject()) {
    *err = not_object();
    return nullptr;
  }
  const Value *v = find(obj, key);
  if (v == nullptr) *err = missing(key);
  return v;
}

Status check_limits(std::string_view text, const ParseLimits &limits) {
  if (text.size() > limits.max_bytes)
    return invalid_argument(
        fmt::format("JSON of {} bytes exceeds the {} byte limit", text.size(), limits.max_bytes));
  return check_depth(text, limits.max_depth);
}

// Parses `text` into `doc` (any allocator) with the flags and error text every caller shares.
template <typename Doc>
Status parse_into(std::string_view text, const ParseLimits &limits, Doc &doc) {
  VOXLINE_RETURN_IF_ERROR(check_limits(text, limits));
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  doc.template Parse<kFlags>(text.data(), text.size());
  if (doc.HasParseError()) {
    return invalid_argument(fmt::format("invalid JSON at offset {}: {}", doc.GetErrorOffset(),
                                        rapidjson::GetParseError_En(doc.GetParseError())));
  }
  return Status::Ok();
}

}  // namespace

Result<Document> parse(std::string_view text, const ParseLimits &limits) {
  Document doc;
  VOXLINE_RETURN_IF_ERROR(parse_into(text, limits, doc));
  return Result<Document>(std::move(doc));
}

ReusableParser::ReusableParser(size_t buffer_bytes)
    : value_buffer_(new char[buffer_bytes]),
      stack_buffer_(new char[buffer_bytes]),
      value_pool_(value_buffer_.get(), buffer_bytes),
      stack_pool_(stack_buffer_.get(), buffer_bytes),
      doc_(&value_pool_, 1024, &stack_pool_) {}

Result<const Value *> ReusableParser::parse(std::string_view text, const ParseLimits &limits) {
  doc_.SetNull();  // the old DOM lives in the pool cleared next
  value_pool_.Clear();
  stack_pool_.Clear();
  VOXLINE_RETURN_IF_ERROR(parse_into(text, limits, doc_));
  return static_cast<const Value *>(&doc_);
}

const char *type_name(const Value &v) noexcept {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "bool";
    case rapidjson::kObjectType: return "object";
    case rapidjson::kArrayType: return "array";
    case rapidjson::kStringType: return "string";
    case rapidjson::kNumberType: return "number";
  }
  return "unknown";
}

const Value *find(const Value &obj, std::string_view key) noexcept {
  if (!obj.IsObject()) return nullptr;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    if (view(it->name) == key) return &it->value;
  }
  return nullptr;
}

Result<std::string_view> get_string(const Value &obj, std::string_view key) {
  Status err;
  const Value *v = member(obj, key, &err);
  if (v == nullptr) return err;
  if (!v->IsString()) return mistyped(key, "a string", *v);
  return view(*v);
}

Result<int64_t> get_int64(const Value &obj, std::string_view key) {
  Status err;
  const Value *v = member(obj, key, &err);
  if (v == nullptr) return err;
  if (!v->IsInt64()) return mistyped(key, "an integer in int64 range", *v);
  return v->GetInt64();
}

Result<uint64_t> get_uint64(const Value &obj, std::string_view key) {
  Status err;
  const Value *v = member(obj, key, &err);
  if (v == nullptr) return err;
  if (!v->IsUint64()) return mistyped(key, "a non-negative integer", *v);
  return v->GetUint64();
}

Result<int> get_int(const Value &obj, std::string_view key) {
  Status err;
  const Value *v = member(obj, key, &err);
  if (v == nullptr) return err;
  if (!v->IsInt()) return mistyped(key, "an integer in int32 range", *v);
  return v->GetInt();
}

Result<double> get_double(const Value &obj, std::string_view key) {
  Status err;
  const Value *v = member(obj, key, &err);
  if (v == nullptr) return err;
  if (!v->IsNumber()) return mistyped(key, "a number", *v);
  return v->GetDouble();
}

Result<bool> get_bool(const Value &obj, std::string_view key) {
  Status err;
  const Value *v = member(obj, key, &err);
  if (v == nullptr) return err;
  if (!v->IsBool()) return mistyped(key, "a boolean", *v);
  return v->GetBool();
}

Result<const Value *> get_object(const Value &obj, std::string_view key) {
  Status err;
  const Value *v = member(obj, key, &err);
  if (v == nullptr) return err;
  if (!v->IsObject()) return mistyped(key, "an object", *v);
  return v;
}

Result<const Value *> get_array(const Value &obj, std::string_view key) {
  Status err;
  const Value *v = member(obj, key, &err);
  if (v == nullptr) return err;
  if (!v->IsArray()) return mistyped(key, "an array", *v);
  return v;
}

// Shared shape of the optional getters: absent or null -> nullopt, else the required getter.
template <typename T, typename Getter>
Result<std::optional<T>> optional_field(const Value &obj, std::string_view key, Getter get) {
  if (!obj.IsObject()) return not_object();
  const Value *v = find(obj, key);
  if (v == nullptr || v->IsNull()) return std::optional<T>();
  Result<T> r = get(obj, key);
  if (!r.ok()) return r.status();
  return std::optional<T>(*r);
}

Result<std::optional<std::string_view>> get_optional_string(const Value &obj, std::string_view key) {
  return optional_field<std::string_view>(obj, key, get_string);
}
Result<std::optional<int64_t>> get_optional_int64(const Value &obj, std::string_view key) {
  return optional_field<int64_t>(obj, key, get_int64);
}
Result<std::optional<double>> get_optional_double(const Value &obj, std::string_view key) {
  return optional_field<double>(obj, key, get_double);
}
Result<std::optional<bool>> get_optional_bool(const Value &obj, std::string_view key) {
  return optional_field<bool>(obj, key, get_bool);
}

Result<const Value *> get_optional_object(const Value &obj, std::string_view key) {
  if (!obj.IsObject()) return not_object();
  const Value *v = find(obj, key);
  if (v == nullptr || v->IsNull()) return static_cast<const Value *>(nullptr);
  return get_object(obj, key);
}

Result<const Value *> get_optional_array(const Value &obj, std::string_view key) {
  if (!obj.IsObject()) return not_object();
  const Value *v = find(obj, key);
  if (v == nullptr || v->IsNull()) return static_cast<const Value *>(nullptr);
  return get_array(obj, key);
}

std::string to_string(const Value &v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  v.Accept(writer);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string quote(std::string_view text) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace voxline::json
