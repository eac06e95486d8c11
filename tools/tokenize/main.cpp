// voxline-tokenize: exact tiktoken-compatible token counts and ids.
//   voxline-tokenize --encoding o200k_base --count FILE   prints the token count of FILE's bytes
//   voxline-tokenize --model gpt-4o --count FILE          same, encoding chosen from the model name
//   voxline-tokenize --jsonl FILE                         per line {"encoding":..,"text":..} -> [ids]
// FILE "-" reads stdin. Counting uses encode_ordinary (special-token text is ordinary text).
// --log-level LEVEL sends the library's log lines from LEVEL up to stderr (default warn).
// Errors go to stderr with exit status 1 (2 for usage errors); stdout then holds nothing further.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "voxline/core/json.hpp"
#include "voxline/core/log.hpp"
#include "voxline/tokenizer/encoding.hpp"

namespace {

using voxline::Result;
using voxline::Status;
namespace tk = voxline::tokenizer;

constexpr const char *kUsage =
    "usage: voxline-tokenize (--encoding NAME | --model NAME) --count FILE\n"
    "       voxline-tokenize [--encoding NAME] --jsonl FILE\n"
    "  --count FILE   print the number of tokens of FILE's bytes (encode_ordinary)\n"
    "  --jsonl FILE   each line {\"encoding\": NAME, \"text\": TEXT}; prints the JSON array of ids\n"
    "                 (encode_ordinary) per line; \"encoding\" may be omitted when --encoding is given\n"
    "  --log-level LEVEL  log to stderr from LEVEL up: trace, debug, info, warn (default), error, off\n"
    "  FILE may be '-' for standard input. Encodings: o200k_base, cl100k_base.\n";

Result<std::string> read_all(const std::string &path) {
  if (path == "-") {
    std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (std::cin.bad()) return voxline::unavailable("error reading standard input");
    return s;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return voxline::not_found("cannot open " + path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return voxline::unavailable("error reading " + path);
  return s;
}

int fail(const Status &s) {
  std::fprintf(stderr, "voxline-tokenize: %s\n", s.to_string().c_str());
  return 1;
}

int run_jsonl(const std::string &path, const std::string &default_encoding) {
  auto data = read_all(path);
  if (!data.ok()) return fail(data.status());
  std::string_view rest = *data;
  std::string out;
  size_t line_no = 0;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string where = "line " + std::to_string(line_no);
    auto doc = voxline::json::parse(line);
    if (!doc.ok()) return fail(doc.status().with_context(where));
    auto enc_name = voxline::json::get_optional_string(*doc, "encoding");
    if (!enc_name.ok()) return fail(enc_name.status().with_context(where));
    std::string name = enc_name->has_value() ? std::string(**enc_name) : default_encoding;
    if (name.empty()) return fail(voxline::invalid_argument(where + ": no \"encoding\" and no --encoding"));
    auto enc = tk::get_encoding(name);
    if (!enc.ok()) return fail(enc.status().with_context(where));
    auto text = voxline::json::get_string(*doc, "text");
    if (!text.ok()) return fail(text.status().with_context(where));
    const auto ids = (*enc)->encode_ordinary(*text);
    out += '[';
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(ids[i]);
    }
    out += "]\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
  std::string encoding, model, count_file, jsonl_file, log_level = "warn";
  bool have_count = false, have_jsonl = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string &dst) -> bool {
      if (i + 1 >= argc) return false;
      dst = argv[++i];
      return true;
    };
    bool ok = true;
    if (arg == "--encoding")
      ok = value(encoding);
    else if (arg == "--model")
      ok = value(model);
    else if (arg == "--count")
      ok = have_count = value(count_file);
    else if (arg == "--jsonl")
      ok = have_jsonl = value(jsonl_file);
    else if (arg == "--log-level")
      ok = value(log_level);
    else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else
      ok = false;
    if (!ok) {
      std::fprintf(stderr, "voxline-tokenize: bad argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (have_count == have_jsonl || (!encoding.empty() && !model.empty())) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto level = voxline::parse_log_level(log_level);
  if (!level.ok()) {
    std::fprintf(stderr, "voxline-tokenize: %s\n%s", level.status().message().c_str(), kUsage);
    return 2;
  }
  voxline::default_logger().set_sink(voxline::Logger::stderr_sink());
  voxline::default_logger().set_level(*level);
  if (!model.empty()) {
    auto name = tk::encoding_name_for_model(model);
    if (!name.ok()) return fail(name.status());
    encoding = std::string(*name);
  }
  if (have_jsonl) return run_jsonl(jsonl_file, encoding);
  if (encoding.empty()) {
    std::fprintf(stderr, "voxline-tokenize: --count needs --encoding or --model\n%s", kUsage);
    return 2;
  }
  auto enc = tk::get_encoding(encoding);
  if (!enc.ok()) return fail(enc.status());
  auto data = read_all(count_file);
  if (!data.ok()) return fail(data.status());
  std::printf("%zu\n", (*enc)->count_ordinary(*data));
  return std::fflush(stdout) == 0 ? 0 : 1;
}
