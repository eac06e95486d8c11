// File: redactor.hpp
// Redactor: removes secrets from text before it reaches a log line, an error message, a metric
// or a call log. It replaces with "***":
//   - every registered secret (API keys), wherever it appears, also inside longer strings;
//   - the value of credential headers/fields: Authorization, Proxy-Authorization, api-key,
//     x-api-key, api_key, apikey, password (any case, ':' or '=' separated, quoted or not);
//   - a "Bearer <token>" / "Token <token>" credential anywhere, and OpenAI-style "sk-..." keys.
//
//   Redactor r;  r.add_secret(api_key);
//   log_line = r.redact(log_line);
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/status.hpp"

namespace voxline {

class VOXLINE_API Redactor {
 public:
  static constexpr size_t kMinSecretLength = 4;  // shorter strings would mask ordinary text

  // Registers a secret. INVALID_ARGUMENT when shorter than kMinSecretLength (an empty or tiny
  // "secret" is almost surely a configuration mistake, and masking it would mangle every line).
  Status add_secret(std::string_view secret);
  // Forgets every registered secret (header/Bearer rules stay).
  void clear_secrets();
  size_t secret_count() const;

  std::string redact(std::string_view text) const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<std::string> secrets_;  // longest first, so a secret containing another is masked whole
};

}  // namespace voxline
