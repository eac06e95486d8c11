#include <string>

#include "voxline/tokenizer/encoding.hpp"

namespace voxline::tokenizer {
namespace {

struct Family {
  const char *prefix;
  const char *encoding;
};

// Order matters: more specific names first (gpt-4o before gpt-4). Mirrors tiktoken's model.py.
constexpr Family kFamilies[] = {
    {"gpt-4o", "o200k_base"},
    {"chatgpt-4o", "o200k_base"},
    {"gpt-4.1", "o200k_base"},
    {"gpt-4.5", "o200k_base"},
    {"gpt-5", "o200k_base"},
    {"gpt-oss", "o200k_base"},
    {"o1", "o200k_base"},
    {"o3", "o200k_base"},
    {"o4", "o200k_base"},
    {"gpt-4", "cl100k_base"},
    {"gpt-3.5", "cl100k_base"},
    {"gpt-35-turbo", "cl100k_base"},
    {"text-embedding-3", "cl100k_base"},
    {"text-embedding-ada-002", "cl100k_base"},
};

bool family_matches(std::string_view model, std::string_view prefix) {
  if (model.size() < prefix.size() || model.compare(0, prefix.size(), prefix) != 0) return false;
  return model.size() == prefix.size() || model[prefix.size()] == '-';
}

}  // namespace

Result<std::string_view> encoding_name_for_model(std::string_view model) {
  std::string_view base = model;
  if (base.substr(0, 3) == "ft:") {  // ft:<base model>:<org>:<suffix>:<id>
    base.remove_prefix(3);
    base = base.substr(0, base.find(':'));
  }
  for (const Family &f : kFamilies)
    if (family_matches(base, f.prefix)) return std::string_view(f.encoding);
  return not_found("unknown model '" + std::string(model) +
                   "': no tokenizer encoding is known for it; pass an encoding name (o200k_base or "
                   "cl100k_base) instead");
}

Result<const Encoding *> encoding_for_model(std::string_view model) {
  VOXLINE_ASSIGN_OR_RETURN(std::string_view name, encoding_name_for_model(model));
  return get_encoding(name);
}

}  // namespace voxline::tokenizer
