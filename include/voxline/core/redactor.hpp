// File: redactor.hpp
// Redactor: removes secrets from text before it reaches a log line, an error message, a metric
// or a call log. It replaces with "***":
//   - every registered secret (API keys), wherever it appears, also inside longer strings;
//   - the value of credential headers/fields: Authorization, Proxy-Authorization, api-key,
//     x-api-key, api_key, apikey, password, secret (any case, ':' or '=' separated, quoted or
//     not; the name starts a word, so "client_secret" counts and "nosecret" does not);
//   - "Bearer <token>" / "Token <token>" anywhere when <token> looks generated (a digit, mixed
//     case or punctuation: "token estimation" stays), "Basic <base64 of user:password>", and
//     OpenAI-style "sk-..." keys;
//   - the user:password of a URL ("redis://:pw@host" becomes "redis://***@host").
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

// `text` from outside voxline made fit for a message: redacted by `redactor` (nullptr:
// default_logger().redactor()), then cut to at most `max_bytes` on a UTF-8 character boundary
// ("..." marks the cut), control characters replaced by spaces. Pass the whole text: cutting
// before redaction could leave half a secret unmasked.
VOXLINE_API std::string external_text(std::string_view text, size_t max_bytes,
                                      const Redactor *redactor = nullptr);

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
