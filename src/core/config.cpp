#include "voxline/core/config.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <variant>

#include <fmt/format.h>

#include "voxline/core/json.hpp"
#include "voxline/core/strings.hpp"

extern char **environ;  // POSIX

namespace voxline {
namespace {

using Member = std::variant<std::string Config::*, int Config::*, bool Config::*, LogLevel Config::*>;

struct Field {
  const char *section;
  const char *key;
  Member member;
  bool secret = false;  // a URL whose credentials are masked in to_json() and registered as secrets
  int min = 0;          // inclusive bounds for int fields
  int max = std::numeric_limits<int>::max();
};

constexpr int kMaxTimeoutMs = 600'000;  // ten minutes: anything longer is a unit mistake

// The one table that JSON, environment, validation and to_json() all read. Every key here has
// a consumer (see config.hpp); add a key only together with the code that reads it.
const std::vector<Field> &fields() {
  static const std::vector<Field> table = {
      {"log", "level", &Config::log_level},
      {"runtime", "slots", &Config::slots, false, defaults::kMinSlots, defaults::kMaxSlots},
      {"runtime", "io_coalesce_us", &Config::io_coalesce_us, false, 0, defaults::kMaxIoCoalesceUs},
      {"tls", "ca_file", &Config::tls_ca_file},
      {"tls", "insecure_skip_verify", &Config::tls_insecure_skip_verify},
      {"storage", "sqlite_path", &Config::sqlite_path},
      {"database", "url", &Config::database_url, true},
      {"session_store", "url", &Config::session_store_url, true},
      {"session_store", "key_prefix", &Config::session_store_key_prefix},
      {"timeouts", "connect_ms", &Config::connect_timeout_ms, false, 1, kMaxTimeoutMs},
      {"timeouts", "handshake_ms", &Config::handshake_timeout_ms, false, 1, kMaxTimeoutMs},
      {"timeouts", "send_ms", &Config::send_timeout_ms, false, 1, kMaxTimeoutMs},
      {"timeouts", "close_ms", &Config::close_timeout_ms, false, 1, kMaxTimeoutMs},
      {"timeouts", "first_byte_ms", &Config::first_byte_timeout_ms, false, 1, kMaxTimeoutMs},
      {"timeouts", "idle_ms", &Config::idle_timeout_ms, false, 0, 3'600'000},  // 0 = off
  };
  return table;
}

// The password of "scheme://[user]:password@host...", empty when there is none.
std::string_view url_password(std::string_view url) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return {};
  std::string_view authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find('/'));
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return {};
  const std::string_view userinfo = authority.substr(0, at);
  const size_t colon = userinfo.find(':');
  return colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
}

// "scheme://***@host..." for a URL with credentials; other text unchanged.
std::string mask_url_credentials(const std::string &url) {
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return url;
  const size_t end = url.find('/', sep + 3);
  const size_t at = url.rfind('@', end == std::string::npos ? std::string::npos : end);
  if (at == std::string::npos || at < sep + 3) return url;
  return url.substr(0, sep + 3) + "***" + url.substr(at);
}

std::string dotted(const Field &f) {
  return std::string(f.section) + "." + f.key;
}

std::string env_name(const Field &f) {
  return to_upper_ascii("VOXLINE_" + std::string(f.section) + "_" + f.key);
}

const Field *find_field(std::string_view section, std::string_view key) {
  for (const Field &f : fields()) {
    if (section == f.section && key == f.key) return &f;
  }
  return nullptr;
}

bool is_section(std::string_view section) {
  for (const Field &f : fields()) {
    if (section == f.section) return true;
  }
  return false;
}

Status check_int_range(const Field &f, int64_t v, std::string_view where) {
  if (v < f.min || v > f.max)
    return invalid_argument(
        fmt::format("{} '{}' = {} is out of range [{}, {}]", where, dotted(f), v, f.min, f.max));
  return Status::Ok();
}

// Sets a field from a JSON value; `where` prefixes messages ("config key", ...).
Status set_from_json(Config &cfg, const Field &f, const json::Value &v) {
  const std::string name = dotted(f);
  if (auto m = std::get_if<std::string Config::*>(&f.member)) {
    if (!v.IsString())
      return invalid_argument(
          fmt::format("config key '{}' must be a string, got {}", name, json::type_name(v)));
    cfg.*(*m) = std::string(json::view(v));
  } else if (auto m = std::get_if<int Config::*>(&f.member)) {
    if (!v.IsInt64())
      return invalid_argument(
          fmt::format("config key '{}' must be an integer, got {}", name, json::type_name(v)));
    VOXLINE_RETURN_IF_ERROR(check_int_range(f, v.GetInt64(), "config key"));
    cfg.*(*m) = static_cast<int>(v.GetInt64());
  } else if (auto m = std::get_if<bool Config::*>(&f.member)) {
    if (!v.IsBool())
      return invalid_argument(
          fmt::format("config key '{}' must be a boolean, got {}", name, json::type_name(v)));
    cfg.*(*m) = v.GetBool();
  } else if (auto m = std::get_if<LogLevel Config::*>(&f.member)) {
    if (!v.IsString())
      return invalid_argument(
          fmt::format("config key '{}' must be a string, got {}", name, json::type_name(v)));
    Result<LogLevel> level = parse_log_level(json::view(v));
    if (!level.ok()) return level.status().with_context(fmt::format("config key '{}'", name));
    cfg.*(*m) = *level;
  }
  return Status::Ok();
}

// Sets a field from environment text.
Status set_from_text(Config &cfg, const Field &f, const std::string &var, const std::string &text) {
  if (auto m = std::get_if<std::string Config::*>(&f.member)) {
    cfg.*(*m) = text;
  } else if (auto m = std::get_if<int Config::*>(&f.member)) {
    errno = 0;
    char *end = nullptr;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || errno != 0 || end == nullptr || *end != '\0')
      return invalid_argument(fmt::format("environment variable {} must be an integer, got '{}'", var, text));
    VOXLINE_RETURN_IF_ERROR(check_int_range(f, v, "environment variable " + var + " for"));
    cfg.*(*m) = static_cast<int>(v);
  } else if (auto m = std::get_if<bool Config::*>(&f.member)) {
    const std::string t = to_lower_ascii(trim(text));
    if (t == "1" || t == "true" || t == "yes" || t == "on")
      cfg.*(*m) = true;
    else if (t == "0" || t == "false" || t == "no" || t == "off")
      cfg.*(*m) = false;
    else
      return invalid_argument(
          fmt::format("environment variable {} must be a boolean (1/0/true/false), got '{}'", var, text));
  } else if (auto m = std::get_if<LogLevel Config::*>(&f.member)) {
    Result<LogLevel> level = parse_log_level(text);
    if (!level.ok()) return level.status().with_context("environment variable " + var);
    cfg.*(*m) = *level;
  }
  return Status::Ok();
}

bool has_scheme(const std::string &url, std::initializer_list<std::string_view> schemes) {
  for (std::string_view s : schemes) {
    if (istarts_with(url, s) && url.size() > s.size()) return true;
  }
  return false;
}

}  // namespace

Status Config::apply_json(std::string_view text) {
  Result<json::Document> doc = json::parse(text, json::ParseLimits{1u << 20, 16});
  if (!doc.ok()) return doc.status().with_context("config");
  if (!doc->IsObject()) return invalid_argument("config must be a JSON object of sections");
  Config next = *this;  // apply to a copy: an error leaves *this unchanged
  for (auto s = doc->MemberBegin(); s != doc->MemberEnd(); ++s) {
    const std::string_view section = json::view(s->name);
    if (!is_section(section)) return invalid_argument(fmt::format("unknown config section '{}'", section));
    if (!s->value.IsObject())
      return invalid_argument(
          fmt::format("config section '{}' must be an object, got {}", section, json::type_name(s->value)));
    for (auto k = s->value.MemberBegin(); k != s->value.MemberEnd(); ++k) {
      const std::string_view key = json::view(k->name);
      const Field *f = find_field(section, key);
      if (f == nullptr) return invalid_argument(fmt::format("unknown config key '{}.{}'", section, key));
      VOXLINE_RETURN_IF_ERROR(set_from_json(next, *f, k->value));
    }
  }
  *this = std::move(next);
  return Status::Ok();
}

Status Config::apply_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(fmt::format("cannot open config file '{}'", path));
  std::ostringstream text;
  text << in.rdbuf();
  return apply_json(text.str()).with_context(fmt::format("config file '{}'", path));
}

Status Config::apply_environment(const std::vector<std::string> &entries, Logger &log) {
  Config next = *this;
  std::string unknown;
  for (const std::string &entry : entries) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    const std::string value = entry.substr(eq + 1);
    if (name.rfind("VOXLINE_", 0) != 0) continue;
    const Field *match = nullptr;
    for (const Field &f : fields()) {
      if (env_name(f) == name) match = &f;
    }
    if (match == nullptr) {
      unknown += (unknown.empty() ? "" : ", ") + name;  // the value may be anything: never logged
      continue;
    }
    VOXLINE_RETURN_IF_ERROR(set_from_text(next, *match, name, value));
  }
  if (!unknown.empty())
    VOXLINE_LOG_WARN(log, "core", "config: ignoring environment variables that are no config key: {}",
                     unknown);
  *this = std::move(next);
  return Status::Ok();
}

Status Config::apply_process_environment(Logger &log) {
  std::vector<std::string> entries;
  for (char **e = environ; e != nullptr && *e != nullptr; ++e) entries.emplace_back(*e);
  return apply_environment(entries, log);
}

Status Config::validate() const {
  if (!has_scheme(session_store_url, {"memory://", "redis://"}) && !iequals(session_store_url, "memory://"))
    return invalid_argument(fmt::format("session_store.url must be memory:// or redis://..., got '{}'",
                                        mask_url_credentials(session_store_url)));
  if (session_store_key_prefix.empty()) return invalid_argument("session_store.key_prefix must not be empty");
  if (sqlite_path.empty()) return invalid_argument("storage.sqlite_path must not be empty");
  // Only the scheme is echoed: the rest of a database URL may hold a password (also as ?password=).
  if (!database_url.empty() && !istarts_with(database_url, "sqlite:") &&
      !has_scheme(database_url, {"postgresql://", "postgres://"})) {
    const size_t colon = database_url.find(':');
    return invalid_argument(
        fmt::format("database.url must be sqlite:///path or postgresql://..., got scheme '{}'",
                    colon == std::string::npos ? std::string() : database_url.substr(0, colon)));
  }
  for (const Field &f : fields()) {
    if (auto m = std::get_if<int Config::*>(&f.member))
      VOXLINE_RETURN_IF_ERROR(check_int_range(f, this->*(*m), "config key"));
  }
  return Status::Ok();
}

Result<Config> Config::load(const std::string &path, Logger &log) {
  Config cfg;
  if (!path.empty()) VOXLINE_RETURN_IF_ERROR(cfg.apply_file(path));
  VOXLINE_RETURN_IF_ERROR(cfg.apply_process_environment(log));
  VOXLINE_RETURN_IF_ERROR(cfg.validate());
  return cfg;
}

std::string Config::to_json(bool include_secrets) const {
  std::string out = "{";
  std::string section;
  for (const Field &f : fields()) {
    if (section != f.section) {
      if (!section.empty()) out += "},";
      section = f.section;
      out += json::quote(section) + ":{";
    } else {
      out += ",";
    }
    out += json::quote(f.key) + ":";
    if (auto m = std::get_if<std::string Config::*>(&f.member)) {
      const std::string &v = this->*(*m);
      out += json::quote(f.secret && !include_secrets ? mask_url_credentials(v) : v);
    } else if (auto m = std::get_if<int Config::*>(&f.member)) {
      out += std::to_string(this->*(*m));
    } else if (auto m = std::get_if<bool Config::*>(&f.member)) {
      out += (this->*(*m)) ? "true" : "false";
    } else if (auto m = std::get_if<LogLevel Config::*>(&f.member)) {
      out += json::quote(to_lower_ascii(log_level_name(this->*(*m))));
    }
  }
  out += "}}";
  return out;
}

void Config::register_secrets(Redactor &redactor) const {
  for (const Field &f : fields()) {
    if (!f.secret) continue;
    const std::string_view password = url_password(this->*std::get<std::string Config::*>(f.member));
    if (password.size() >= Redactor::kMinSecretLength) (void)redactor.add_secret(password);
  }
}

void Config::configure(Logger &log) const {
  log.set_level(log_level);
  register_secrets(log.redactor());
}

std::vector<std::string> Config::key_names() {
  std::vector<std::string> names;
  for (const Field &f : fields()) names.push_back(dotted(f));
  return names;
}

}  // namespace voxline
