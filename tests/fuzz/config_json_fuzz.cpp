// Fuzz target for Config's JSON loading: any text is applied or refused with a Status, never a
// crash. A refusal says why and leaves the Config unchanged. An accepted document's own JSON
// (to_json with secrets) loads back to the same Config, and adding an unknown section to the
// document, or an unknown key to any section, is always an error that names it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "voxline/core/config.hpp"

namespace {

constexpr std::string_view kUnknown = "zz_fuzz_unknown";

// `text` with `"zz_fuzz_unknown":0` as the first member of the object opening at `brace`.
std::string with_member_after(std::string_view text, size_t brace) {
  size_t next = brace + 1;
  while (next < text.size() &&
         (text[next] == ' ' || text[next] == '\t' || text[next] == '\n' || text[next] == '\r'))
    ++next;
  const bool empty = next < text.size() && text[next] == '}';
  std::string out(text.substr(0, brace + 1));
  out += "\"" + std::string(kUnknown) + "\":0";
  if (!empty) out += ",";
  out += text.substr(brace + 1);
  return out;
}

void expect_refused_naming(std::string_view text, const std::string &name) {
  voxline::Config cfg;
  const voxline::Status s = cfg.apply_json(text);
  if (s.ok() || s.code() != voxline::StatusCode::kInvalidArgument) std::abort();
  if (s.message().find("'" + name + "'") == std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  voxline::Config cfg;
  const std::string before = cfg.to_json(true);
  const voxline::Status applied = cfg.apply_json(text);
  if (!applied.ok()) {
    if (applied.message().empty()) std::abort();    // a refusal says why
    if (cfg.to_json(true) != before) std::abort();  // and changes nothing
    return 0;
  }
  (void)cfg.validate();  // may refuse (ranges across fields) but must not crash
  const std::string out = cfg.to_json(true);
  voxline::Config back;
  if (!back.apply_json(out).ok()) std::abort();
  if (back.to_json(true) != out) std::abort();

  // The accepted document is an object: an unknown section in it is named.
  const size_t open = text.find('{');
  if (open == std::string_view::npos) std::abort();
  expect_refused_naming(with_member_after(text, open), std::string(kUnknown));
  // Every section of the canonical form, given an unknown key, names "section.key". Inside a
  // JSON string every '"' is escaped, so "name":{ only matches where the section opens.
  int sections = 0;
  for (const char *section : {"log", "runtime", "tls", "storage", "session_store", "timeouts"}) {
    const std::string opener = "\"" + std::string(section) + "\":{";
    const size_t p = out.find(opener);
    if (p == std::string::npos) continue;
    ++sections;
    expect_refused_naming(with_member_after(out, p + opener.size() - 1),
                          std::string(section) + "." + std::string(kUnknown));
  }
  if (sections == 0) std::abort();
  return 0;
}
