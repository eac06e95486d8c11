#include "voxline/core/redactor.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>

namespace voxline {
namespace {

constexpr std::string_view kMask = "***";

// Names whose value is a credential. "api-key" also covers "x-api-key" and "openai-api-key".
constexpr std::array<std::string_view, 7> kCredentialNames = {
    "proxy-authorization", "authorization", "api-key", "api_key", "apikey", "password", "secret"};

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool iequals_at(std::string_view text, size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (lower(text[pos + i]) != word[i]) return false;
  }
  return true;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~' ||
         c == '+' || c == '/' || c == '=';
}

// Where a credential value that started at `pos` ends.
size_t value_end(std::string_view text, size_t pos, char quote) {
  size_t i = pos;
  if (quote != 0) {
    while (i < text.size() && text[i] != quote && text[i] != '\n') {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;  // skip an escaped quote in JSON
      ++i;
    }
    return std::min(i, text.size());
  }
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\r' || c == '\n' || c == ',' || c == ';' || c == '&' || c == '}' || c == '"' || c == '\'' ||
        c == ')' || c == ']')
      break;
    ++i;
  }
  while (i > pos && text[i - 1] == ' ') --i;  // keep trailing spaces outside the mask
  return i;
}

// Masks the value after "<name>[quote] <sep> [quote]" when the name is a credential field.
std::string mask_credential_fields(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool masked = false;
    for (std::string_view name : kCredentialNames) {
      if (!iequals_at(text, i, name)) continue;
      size_t j = i + name.size();
      if (j < text.size() && (text[j] == '"' || text[j] == '\'')) ++j;
      while (j < text.size() && text[j] == ' ') ++j;
      if (j >= text.size() || (text[j] != ':' && text[j] != '=')) continue;
      ++j;
      while (j < text.size() && text[j] == ' ') ++j;
      char quote = 0;
      if (j < text.size() && (text[j] == '"' || text[j] == '\'')) quote = text[j++];
      const size_t end = value_end(text, j, quote);
      if (end == j) continue;  // empty value: nothing to hide
      out.append(text.substr(i, j - i));
      out.append(kMask);
      i = end;
      masked = true;
      break;
    }
    if (!masked) out.push_back(text[i++]);
  }
  return out;
}

// Masks "Bearer x", "Token x", "Basic x" and "sk-..." keys wherever they appear.
std::string mask_tokens(std::string_view text) {
  constexpr std::array<std::string_view, 3> kSchemes = {"bearer ", "token ", "basic "};
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const bool at_word_start = i == 0 || !is_token_char(text[i - 1]);
    bool masked = false;
    if (at_word_start) {
      for (std::string_view scheme : kSchemes) {
        if (!iequals_at(text, i, scheme)) continue;
        size_t j = i + scheme.size();
        size_t end = j;
        while (end < text.size() && is_token_char(text[end])) ++end;
        if (end - j < 8) continue;  // "token count" is prose, not a credential
        out.append(text.substr(i, scheme.size()));
        out.append(kMask);
        i = end;
        masked = true;
        break;
      }
      if (!masked && iequals_at(text, i, "sk-")) {
        size_t end = i + 3;
        while (end < text.size() && is_token_char(text[end])) ++end;
        if (end - i >= 20) {
          out.append(kMask);
          i = end;
          masked = true;
        }
      }
    }
    if (!masked) out.push_back(text[i++]);
  }
  return out;
}

}  // namespace

Status Redactor::add_secret(std::string_view secret) {
  if (secret.size() < kMinSecretLength)
    return invalid_argument("secret shorter than " + std::to_string(kMinSecretLength) +
                            " characters cannot be redacted safely");
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return Status::Ok();
  secrets_.emplace_back(secret);
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
  return Status::Ok();
}

void Redactor::clear_secrets() {
  std::unique_lock<std::shared_mutex> lock(mu_);
  secrets_.clear();
}

size_t Redactor::secret_count() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return secrets_.size();
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    for (const std::string &secret : secrets_) {
      for (size_t pos = out.find(secret); pos != std::string::npos;
           pos = out.find(secret, pos + kMask.size())) {
        out.replace(pos, secret.size(), kMask);
      }
    }
  }
  return mask_tokens(mask_credential_fields(out));
}

}  // namespace voxline
