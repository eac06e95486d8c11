#include "voxline/core/config.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <variant>

#include <fmt/format.h>

#include "voxline/core/json.hpp"

extern char **environ;  // POSIX

namespace voxline {
namespace {

using Member = std::variant<std::string Config::*, int Config::*, bool Config::*, LogLevel Config::*>;

struct Field {
  const char *section;
  const char *key;
  Member member;
  bool secret = false;
  int min = 0;  // inclusive bounds for int fields
  int max = std::numeric_limits<int>::max();
};

// The one table that JSON, environment, validation and to_json() all read.
const std::vector<Field> &fields() {
  static const std::vector<Field> table = {
      {"log", "level", &Config::log_level},
      {"runtime", "io_threads", &Config::io_threads, false, 1, 16},
      {"runtime", "worker_threads", &Config::worker_threads, false, 1, 256},
      {"deepgram", "api_key", &Config::deepgram_api_key, true},
      {"deepgram", "stt_url", &Config::deepgram_stt_url},
      {"deepgram", "tts_url", &Config::deepgram_tts_url},
      {"deepgram", "stt_model", &Config::deepgram_stt_model},
      {"deepgram", "tts_model", &Config::deepgram_tts_model},
      {"openai", "api_key", &Config::openai_api_key, true},
      {"openai", "base_url", &Config::openai_base_url},
      {"openai", "model", &Config::openai_model},
      {"openai", "max_tool_rounds", &Config::max_tool_rounds, false, 1, 20},
      {"openai", "requests_per_minute", &Config::requests_per_minute, false, 1, 10'000'000},
      {"openai", "tokens_per_minute", &Config::tokens_per_minute, false, 1, 2'000'000'000},
      {"tls", "ca_file", &Config::tls_ca_file},
      {"tls", "insecure_skip_verify", &Config::tls_insecure_skip_verify},
      {"storage", "sqlite_path", &Config::sqlite_path},
      {"session_store", "url", &Config::session_store_url},
      {"session_store", "key_prefix", &Config::session_store_key_prefix},
      {"timeouts", "connect_ms", &Config::connect_timeout_ms, false, 1, 600'000},
      {"timeouts", "tls_handshake_ms", &Config::tls_handshake_timeout_ms, false, 1, 600'000},
      {"timeouts", "first_byte_ms", &Config::first_byte_timeout_ms, false, 1, 600'000},
      {"timeouts", "idle_ms", &Config::idle_timeout_ms, false, 1, 3'600'000},
      {"timeouts", "send_ms", &Config::send_timeout_ms, false, 1, 600'000},
      {"timeouts", "close_ms", &Config::close_timeout_ms, false, 1, 600'000},
      {"timeouts", "tool_ms", &Config::tool_timeout_ms, false, 1, 600'000},
      {"timeouts", "store_ms", &Config::store_timeout_ms, false, 1, 600'000},
  };
  return table;
}

std::string dotted(const Field &f) {
  return std::string(f.section) + "." + f.key;
}

std::string env_name(const Field &f) {
  std::string name = "VOXLINE_" + std::string(f.section) + "_" + f.key;
  for (char &c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
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
    std::string t;
    for (char c : text) t.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
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
    if (url.compare(0, s.size(), s) == 0 && url.size() > s.size()) return true;
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

Status Config::apply_environment(const std::vector<std::string> &entries) {
  Config next = *this;
  for (const std::string &entry : entries) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    const std::string value = entry.substr(eq + 1);
    if (name == "DEEPGRAM_API_KEY") {
      next.deepgram_api_key = value;
      continue;
    }
    if (name == "OPENAI_API_KEY") {
      next.openai_api_key = value;
      continue;
    }
    if (name.rfind("VOXLINE_", 0) != 0) continue;
    const Field *match = nullptr;
    for (const Field &f : fields()) {
      if (env_name(f) == name) match = &f;
    }
    if (match == nullptr) return invalid_argument(fmt::format("unknown environment variable {}", name));
    VOXLINE_RETURN_IF_ERROR(set_from_text(next, *match, name, value));
  }
  *this = std::move(next);
  return Status::Ok();
}

Status Config::apply_process_environment() {
  std::vector<std::string> entries;
  for (char **e = environ; e != nullptr && *e != nullptr; ++e) entries.emplace_back(*e);
  return apply_environment(entries);
}

Status Config::validate() const {
  if (!has_scheme(deepgram_stt_url, {"ws://", "wss://"}))
    return invalid_argument(
        fmt::format("deepgram.stt_url must start with ws:// or wss://, got '{}'", deepgram_stt_url));
  if (!has_scheme(deepgram_tts_url, {"ws://", "wss://"}))
    return invalid_argument(
        fmt::format("deepgram.tts_url must start with ws:// or wss://, got '{}'", deepgram_tts_url));
  if (!has_scheme(openai_base_url, {"http://", "https://"}))
    return invalid_argument(
        fmt::format("openai.base_url must start with http:// or https://, got '{}'", openai_base_url));
  if (!has_scheme(session_store_url, {"memory://", "redis://"}) && session_store_url != "memory://")
    return invalid_argument(
        fmt::format("session_store.url must be memory:// or redis://..., got '{}'", session_store_url));
  if (openai_model.empty()) return invalid_argument("openai.model must not be empty");
  if (sqlite_path.empty()) return invalid_argument("storage.sqlite_path must not be empty");
  for (const Field &f : fields()) {
    if (auto m = std::get_if<int Config::*>(&f.member))
      VOXLINE_RETURN_IF_ERROR(check_int_range(f, this->*(*m), "config key"));
  }
  return Status::Ok();
}

Result<Config> Config::load(const std::string &path) {
  Config cfg;
  if (!path.empty()) VOXLINE_RETURN_IF_ERROR(cfg.apply_file(path));
  VOXLINE_RETURN_IF_ERROR(cfg.apply_process_environment());
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
      out += json::quote(f.secret && !include_secrets && !v.empty() ? "***" : v);
    } else if (auto m = std::get_if<int Config::*>(&f.member)) {
      out += std::to_string(this->*(*m));
    } else if (auto m = std::get_if<bool Config::*>(&f.member)) {
      out += (this->*(*m)) ? "true" : "false";
    } else if (auto m = std::get_if<LogLevel Config::*>(&f.member)) {
      std::string name = log_level_name(this->*(*m));
      for (char &c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out += json::quote(name);
    }
  }
  out += "}}";
  return out;
}

void Config::register_secrets(Redactor &redactor) const {
  for (const Field &f : fields()) {
    if (!f.secret) continue;
    const std::string &v = this->*std::get<std::string Config::*>(f.member);
    if (v.size() >= Redactor::kMinSecretLength) (void)redactor.add_secret(v);
  }
}

std::vector<std::string> Config::key_names() {
  std::vector<std::string> names;
  for (const Field &f : fields()) names.push_back(dotted(f));
  return names;
}

}  // namespace voxline
