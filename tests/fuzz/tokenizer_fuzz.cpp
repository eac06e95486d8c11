// Fuzzes encode / count / decode on arbitrary bytes (valid or not as UTF-8). The first byte picks
// the encoding and the special-token mode; the rest is the text. Invariants checked (a violation
// aborts so libFuzzer and the corpus replay report it):
//   count == encode size, decode(encode(x)) == x byte for byte, encode with specials allowed
//   decodes back to x too, and default encode fails only when a special string is present.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "voxline/tokenizer/encoding.hpp"

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "tokenizer fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  using namespace voxline::tokenizer;
  const Encoding &enc = (data[0] & 1) ? cl100k_base() : o200k_base();
  const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);

  const auto ids = enc.encode_ordinary(text);
  check(enc.count_ordinary(text) == ids.size(), "count_ordinary == encode_ordinary size");
  auto back = enc.decode(ids);
  check(back.ok() && *back == text, "decode(encode_ordinary(x)) == x");

  bool has_special = false;
  for (const auto &s : enc.special_tokens()) has_special |= text.find(s.first) != std::string_view::npos;
  auto def = enc.encode(text);
  check(def.ok() != has_special, "default encode fails exactly when a special string is present");
  if (def.ok()) check(*def == ids, "default encode == encode_ordinary without specials");

  if (data[0] & 2) {
    auto all = enc.encode(text, SpecialTokenOptions::all_allowed());
    check(all.ok(), "encode with all specials allowed succeeds");
    auto n = enc.count(text, SpecialTokenOptions::all_allowed());
    check(n.ok() && *n == all->size(), "count == encode size with specials");
    auto back_all = enc.decode(*all);
    check(back_all.ok() && *back_all == text, "decode(encode(x, all)) == x");
  }
  return 0;
}
