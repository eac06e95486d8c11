#include "voxline/core/redactor.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <mutex>

#include "voxline/core/log.hpp"
#include "voxline/core/strings.hpp"

namespace voxline {
namespace {

constexpr std::string_view kMask = "***";

// Names whose value is a credential. "api-key" also covers "x-api-key" and "openai-api-key".
constexpr std::array<std::string_view, 7> kCredentialNames = {
    "proxy-authorization", "authorization", "api-key", "api_key", "apikey", "password", "secret"};

bool iequals_at(std::string_view text, size_t pos, std::string_view word) {
  return pos + word.size() <= text.size() && iequals(text.substr(pos, word.size()), word);
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_token_char(char c) {
  return is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

// A word that looks generated rather than written: random keys and tokens almost always hold a
// digit, both letter cases or punctuation; English words ("understanding", "estimation") do not.
bool credential_shaped(std::string_view word) {
  if (word.size() < 8) return false;
  bool digit = false, upper = false, lower = false, punct = false;
  for (size_t i = 0; i < word.size(); ++i) {
    const char c = word[i];
    digit = digit || (c >= '0' && c <= '9');
    upper = upper || (i > 0 && c >= 'A' && c <= 'Z');  // "Understanding" is still a word
    lower = lower || (c >= 'a' && c <= 'z');
    punct = punct || (!is_alnum(c) && c != '-');  // '-' joins words in prose too
  }
  return digit || (upper && lower) || punct;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// HTTP Basic credentials: base64 of "user:password" (RFC 7617), so the decoded text is printable
// and holds a ':'. A word that merely uses base64 letters ("training") almost never decodes so.
bool basic_credentials(std::string_view word) {
  while (!word.empty() && word.back() == '=') word.remove_suffix(1);
  if (word.size() < 4 || word.size() % 4 == 1) return false;
  uint32_t bits = 0;
  int nbits = 0;
  bool colon = false;
  for (char c : word) {
    const int v = base64_value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      const uint32_t byte = (bits >> nbits) & 0xff;
      if (byte < 0x20 || byte > 0x7e) return false;
      colon = colon || byte == ':';
    }
  }
  return colon;
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
    // "client_secret" and "x-api-key" are credential names; "nosecret" is not.
    const bool at_name_start = i == 0 || !is_alnum(text[i - 1]);
    for (std::string_view name : kCredentialNames) {
      if (!at_name_start || !iequals_at(text, i, name)) continue;
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

// Masks "Bearer x", "Token x", "Basic x" credentials and "sk-..." keys wherever they appear. The
// scheme must start a word and the credential must look like one, so prose such as "Basic
// understanding" or "token estimation" stays as written.
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
        const size_t j = i + scheme.size();
        size_t end = j;
        while (end < text.size() && is_token_char(text[end])) ++end;
        while (end > j && text[end - 1] == '.') --end;  // a full stop ends the sentence, not the token
        const std::string_view word = text.substr(j, end - j);
        if (!(scheme == "basic " ? basic_credentials(word) : credential_shaped(word))) continue;
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

// Masks the userinfo of "scheme://user:password@host" (redis://:pw@cache:6379/0).
std::string mask_url_credentials(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  for (size_t sep = text.find("://"); sep != std::string_view::npos; sep = text.find("://", i)) {
    const size_t start = sep + 3;
    size_t end = start;
    while (end < text.size() && text[end] != '@' && text[end] != '/' && text[end] != '?' &&
           text[end] != '#' && !is_ascii_space(text[end]) && text[end] != '"' && text[end] != '\'' &&
           text[end] != '<' && text[end] != '>')
      ++end;
    out.append(text.substr(i, start - i));
    i = start;
    if (end < text.size() && text[end] == '@' && end > start) {
      out.append(kMask);
      i = end;
    }
  }
  out.append(text.substr(i));
  return out;
}

}  // namespace

std::string external_text(std::string_view text, size_t max_bytes, const Redactor *redactor) {
  // Redact the whole text before cutting: a secret cut in half would escape the exact match.
  const Redactor &r = redactor != nullptr ? *redactor : default_logger().redactor();
  std::string clean = r.redact(text);
  if (clean.size() > max_bytes) {
    size_t n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(clean[n]) & 0xC0) == 0x80) --n;  // not mid-character
    clean.resize(n);
    clean += "...";
  }
  for (char &c : clean) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';  // one log line stays one line
  }
  return clean;
}

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
  return mask_tokens(mask_credential_fields(mask_url_credentials(out)));
}

}  // namespace voxline
