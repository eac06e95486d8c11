// Special tokens, decode errors, invalid UTF-8, random round trips, and loading .tiktoken files.
#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/unicode_class.hpp"
#include "voxline/tokenizer/encoding.hpp"

using namespace voxline;
using tokenizer::Encoding;
using tokenizer::SpecialTokenOptions;

namespace {

using Ids = std::vector<uint32_t>;

std::string random_valid_utf8(std::mt19937 &rng, size_t chars) {
  std::string out;
  std::uniform_int_distribution<int> kind(0, 9);
  for (size_t i = 0; i < chars; ++i) {
    uint32_t cp;
    const int k = kind(rng);
    if (k < 4)
      cp = std::uniform_int_distribution<uint32_t>(0x20, 0x7E)(rng);
    else if (k < 5)
      cp = std::uniform_int_distribution<uint32_t>(0, 0x20)(rng);
    else if (k < 8)
      cp = std::uniform_int_distribution<uint32_t>(0x80, 0xFFFF)(rng);
    else
      cp = std::uniform_int_distribution<uint32_t>(0x10000, 0x10FFFF)(rng);
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

std::vector<std::string> pieces(tokenizer::PatternKind kind, std::string_view text) {
  std::vector<std::string> out;
  tokenizer::detail::for_each_piece(kind, text, [&](std::string_view p) { out.emplace_back(p); });
  return out;
}

const Encoding *both[] = {&tokenizer::o200k_base(), &tokenizer::cl100k_base()};

}  // namespace

TEST_CASE("default encode refuses every special token with tiktoken's message") {
  auto r = tokenizer::o200k_base().encode("a <|endofprompt|> b <|endoftext|>");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message() == "The text contains a special token that is not allowed: <|endofprompt|>");
  auto c = tokenizer::cl100k_base().count("x<|fim_middle|>");
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message() == "The text contains a special token that is not allowed: <|fim_middle|>");
}

TEST_CASE("allowed specials become their ids and segments are encoded separately") {
  const Encoding &o = tokenizer::o200k_base();
  const Encoding &c = tokenizer::cl100k_base();
  CHECK(*o.encode("hello <|endoftext|> world", SpecialTokenOptions::all_allowed()) ==
        Ids{24912, 220, 199999, 2375});
  CHECK(*c.encode("hello <|endoftext|> world", SpecialTokenOptions::all_allowed()) ==
        Ids{15339, 220, 100257, 1917});
  SpecialTokenOptions only_eot;
  only_eot.allowed = {"<|endoftext|>"};
  CHECK(*o.encode("<|endoftext|><|endoftext|>", only_eot) == Ids{199999, 199999});
  // Not allowed and disallowed by default ("all"): an error.
  CHECK_FALSE(o.encode("<|endoftext|><|endofprompt|>", only_eot).ok());
  // Not allowed but also not disallowed: ordinary text.
  only_eot.disallow_all_not_allowed = false;
  auto mixed = o.encode("<|endoftext|><|endofprompt|>", only_eot);
  REQUIRE(mixed.ok());
  CHECK(mixed->front() == 199999);
  Ids tail(mixed->begin() + 1, mixed->end());
  CHECK(tail == o.encode_ordinary("<|endofprompt|>"));
  // Disallowing a listed one only.
  SpecialTokenOptions listed;
  listed.disallow_all_not_allowed = false;
  listed.disallowed = {"<|endofprompt|>"};
  CHECK(*o.encode("<|endoftext|>", listed) == o.encode_ordinary("<|endoftext|>"));
  CHECK_FALSE(o.encode("x<|endofprompt|>", listed).ok());
}

TEST_CASE("near-miss special strings and im_start are ordinary text even when all are allowed") {
  const Encoding &o = tokenizer::o200k_base();
  for (const char *t : {"<|endoftext|", "<|ENDOFTEXT|>", "<|im_start|>", "<|endoftext |>"}) {
    auto r = o.encode(t, SpecialTokenOptions::all_allowed());
    REQUIRE(r.ok());
    CHECK(*r == o.encode_ordinary(t));
    CHECK(o.encode(t).ok());
  }
}

TEST_CASE("options naming an unknown special token are INVALID_ARGUMENT") {
  SpecialTokenOptions opts;
  opts.allowed = {"<|im_start|>"};
  auto r = tokenizer::o200k_base().encode("x", opts);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("is not a special token of o200k_base") != std::string::npos);
}

TEST_CASE("decode rejects ids that are neither ranks nor specials") {
  const Encoding &o = tokenizer::o200k_base();
  for (uint32_t bad : {199998u, 200000u, 200017u, 200019u, 0xFFFFFFFFu}) {
    auto r = o.decode(Ids{15339, bad});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message() == "token id " + std::to_string(bad) + " is not in o200k_base");
  }
  CHECK(*o.decode(Ids{199999, 200018}) == "<|endoftext|><|endofprompt|>");
  CHECK(*o.decode(Ids{}) == "");
}

TEST_CASE("random valid UTF-8 round-trips through encode and decode and count equals encode size") {
  std::mt19937 rng(12345);
  for (int i = 0; i < 300; ++i) {
    const std::string text = random_valid_utf8(rng, 1 + static_cast<size_t>(rng() % 300));
    for (const Encoding *enc : both) {
      const Ids ids = enc->encode_ordinary(text);
      CHECK(enc->count_ordinary(text) == ids.size());
      auto back = enc->decode(ids);
      REQUIRE(back.ok());
      CHECK(*back == text);
    }
  }
}

TEST_CASE("invalid UTF-8 is encoded byte-exactly and never crashes") {
  const std::string cases[] = {std::string("\xff"),
                               std::string("a\x80"
                                           "b"),
                               std::string("\xe2\x82"),
                               std::string("\xc0\xaf"),
                               std::string("\xed\xa0\x80 x"),
                               std::string("\xf4\x90\x80\x80"),
                               std::string("it\xff's"),
                               std::string("  \xfe\n\n\xfe  "),
                               std::string("\xf0\x9f\x98"),
                               std::string("\0\xc3", 2)};
  for (const std::string &text : cases) {
    for (const Encoding *enc : both) {
      const Ids ids = enc->encode_ordinary(text);
      CHECK(enc->count_ordinary(text) == ids.size());
      CHECK(*enc->decode(ids) == text);
    }
  }
  // A lone byte that is not UTF-8 becomes the rank of that single byte.
  const Encoding &o = tokenizer::o200k_base();
  const Ids ff = o.encode_ordinary("\xff");
  REQUIRE(ff.size() == 1);
  CHECK(*o.token_bytes(ff[0]) == "\xff");
}

TEST_CASE("each ill-formed byte pre-tokenises like one U+FFFD character") {
  // Build random byte strings; replacing every ill-formed byte by U+FFFD must give the same pieces
  // (piece by piece, with each such byte standing for one U+FFFD).
  std::mt19937 rng(777);
  const char alphabet[] = {'a', 'B', ' ', '\n', '1', '\'', 's', '.', '/', '\t'};
  for (int iter = 0; iter < 2000; ++iter) {
    std::string text;
    const size_t len = 1 + rng() % 24;
    for (size_t i = 0; i < len; ++i) {
      const uint32_t r = rng() % 4;
      if (r == 0)
        text += static_cast<char>(0x80 + rng() % 0x80);  // continuation or lead byte, often ill-formed
      else if (r == 1)
        text += "\xc3\xa9";  // é
      else
        text += alphabet[rng() % sizeof(alphabet)];
    }
    std::string replaced;
    std::vector<size_t> map;  // byte offset in `text` for each byte offset in `replaced`
    const auto *s = reinterpret_cast<const unsigned char *>(text.data());
    for (size_t i = 0; i < text.size();) {
      const auto c = tokenizer::detail::char_at(s, text.size(), i);
      const bool bad = s[i] >= 0x80 && c.len == 1;
      const std::string unit = bad ? std::string("\xef\xbf\xbd") : text.substr(i, c.len);
      for (size_t k = 0; k < unit.size(); ++k) map.push_back(i);
      replaced += unit;
      i += c.len;
    }
    map.push_back(text.size());
    for (auto kind : {tokenizer::PatternKind::kO200k, tokenizer::PatternKind::kCl100k}) {
      const auto a = pieces(kind, text);
      const auto b = pieces(kind, replaced);
      REQUIRE(a.size() == b.size());
      size_t pa = 0, pb = 0;
      for (size_t k = 0; k < a.size(); ++k) {
        pa += a[k].size();
        pb += b[k].size();
        CHECK(map[pb] == pa);
      }
    }
  }
}

TEST_CASE("pre-tokenisation follows the regex rules for whitespace, digits, case and contractions") {
  using K = tokenizer::PatternKind;
  CHECK(pieces(K::kO200k, "a   b") == std::vector<std::string>{"a", "  ", " b"});
  CHECK(pieces(K::kO200k, "1234567") == std::vector<std::string>{"123", "456", "7"});
  CHECK(pieces(K::kO200k, "CamelCaseIdentifier") == std::vector<std::string>{"Camel", "Case", "Identifier"});
  CHECK(pieces(K::kO200k, "He's") == std::vector<std::string>{"He's"});
  CHECK(pieces(K::kCl100k, "He's") == std::vector<std::string>{"He", "'s"});
  CHECK(pieces(K::kCl100k, "x'LL") == std::vector<std::string>{"x", "'LL"});
  CHECK(pieces(K::kO200k, "foo/\n/bar") == std::vector<std::string>{"foo", "/\n/", "bar"});
  CHECK(pieces(K::kCl100k, "foo/\n/bar") == std::vector<std::string>{"foo", "/\n", "/bar"});
  CHECK(pieces(K::kCl100k, "x\n  ") == std::vector<std::string>{"x", "\n", "  "});
  CHECK(pieces(K::kO200k, "\n\n\n   x") == std::vector<std::string>{"\n\n\n", "  ", " x"});
  CHECK(pieces(K::kO200k, "") == std::vector<std::string>{});
}

TEST_CASE("model names map to their encodings and unknown models are NOT_FOUND") {
  const std::pair<const char *, const char *> cases[] = {{"gpt-4o", "o200k_base"},
                                                         {"gpt-4o-mini-2024-07-18", "o200k_base"},
                                                         {"gpt-4.1", "o200k_base"},
                                                         {"gpt-4.1-nano", "o200k_base"},
                                                         {"o1", "o200k_base"},
                                                         {"o3-mini", "o200k_base"},
                                                         {"o4-mini-2025-04-16", "o200k_base"},
                                                         {"chatgpt-4o-latest", "o200k_base"},
                                                         {"gpt-4", "cl100k_base"},
                                                         {"gpt-4-0613", "cl100k_base"},
                                                         {"gpt-4-turbo", "cl100k_base"},
                                                         {"gpt-3.5-turbo", "cl100k_base"},
                                                         {"gpt-3.5-turbo-0125", "cl100k_base"},
                                                         {"ft:gpt-4o-mini-2024-07-18:org::abc", "o200k_base"},
                                                         {"ft:gpt-3.5-turbo:org:x:y", "cl100k_base"}};
  for (const auto &model_and_encoding : cases) {
    // Not a structured binding: clang 14 cannot capture one in doctest's message lambda.
    const auto &model = model_and_encoding.first;
    const auto &enc = model_and_encoding.second;
    auto r = tokenizer::encoding_name_for_model(model);
    REQUIRE_MESSAGE(r.ok(), model);
    CHECK_MESSAGE(*r == enc, model);
    CHECK((*tokenizer::encoding_for_model(model))->name() == enc);
  }
  for (const char *unknown : {"llama-3", "o10", "gpt4o", "", "claude-3"}) {
    auto r = tokenizer::encoding_for_model(unknown);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kNotFound);
    CHECK(r.status().message().find("unknown model") == 0);
  }
  CHECK(tokenizer::get_encoding("p50k_base").status().code() == StatusCode::kNotFound);
}

namespace {
std::string base64(std::string_view in) {
  static const char *k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (in.size() - i == 1) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (in.size() - i == 2) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return out;
}
}  // namespace

TEST_CASE("a tiktoken file rebuilt from the built-in table loads from a path and encodes identically") {
  const Encoding &o = tokenizer::o200k_base();
  std::string file;
  // Written in reverse rank order: the loader must not depend on line order.
  for (uint32_t r = o.rank_count(); r-- > 0;)
    file += base64(*o.token_bytes(r)) + " " + std::to_string(r) + "\n";
  voxline::testing::TempDir dir;
  const std::string path = dir.path() + "/o200k_copy.tiktoken";
  std::ofstream(path, std::ios::binary) << file;
  auto loaded = Encoding::load_tiktoken_file(path, "o200k_copy", tokenizer::PatternKind::kO200k,
                                             {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}});
  REQUIRE(loaded.ok());
  const Encoding &copy = **loaded;
  CHECK(copy.rank_count() == o.rank_count());
  CHECK(copy.n_vocab() == o.n_vocab());
  std::mt19937 rng(99);
  for (int i = 0; i < 50; ++i) {
    const std::string text = random_valid_utf8(rng, 200);
    CHECK(copy.encode_ordinary(text) == o.encode_ordinary(text));
  }
  CHECK(*copy.encode("a<|endoftext|>", SpecialTokenOptions::all_allowed()) ==
        *o.encode("a<|endoftext|>", SpecialTokenOptions::all_allowed()));
}

TEST_CASE("malformed tiktoken files give clear errors") {
  std::string bytes256;
  for (int b = 0; b < 256; ++b)
    bytes256 += base64(std::string(1, static_cast<char>(b))) + " " + std::to_string(b) + "\n";
  auto ok = Encoding::from_tiktoken_text(bytes256 + base64("ab") + " 256\n", "tiny",
                                         tokenizer::PatternKind::kCl100k, {});
  REQUIRE(ok.ok());
  CHECK((*ok)->encode_ordinary("abab") == Ids{256, 256});
  CHECK((*ok)->encode_ordinary("abc") == Ids{256, 'c'});

  auto code = [](Result<std::shared_ptr<const Encoding>> r) { return r.status().code(); };
  const auto P = tokenizer::PatternKind::kCl100k;
  CHECK(code(Encoding::from_tiktoken_text("", "e", P, {})) == StatusCode::kInvalidArgument);
  CHECK(code(Encoding::from_tiktoken_text(bytes256 + "!!!! 256\n", "e", P, {})) ==
        StatusCode::kInvalidArgument);
  CHECK(code(Encoding::from_tiktoken_text(bytes256 + "YWI= 300\n", "e", P, {})) ==
        StatusCode::kInvalidArgument);
  CHECK(code(Encoding::from_tiktoken_text(bytes256 + "YWI= x\n", "e", P, {})) ==
        StatusCode::kInvalidArgument);
  CHECK(code(Encoding::from_tiktoken_text(bytes256 + "YQ== 256\n", "e", P, {})) ==
        StatusCode::kInvalidArgument);
  CHECK(code(Encoding::from_tiktoken_text("YQ== 0\n", "e", P, {})) ==
        StatusCode::kInvalidArgument);  // no byte fallback
  CHECK(code(Encoding::from_tiktoken_text(bytes256, "e", P, {{"<|x|>", 5}})) == StatusCode::kInvalidArgument);
  auto missing = Encoding::load_tiktoken_file("/nonexistent/x.tiktoken", "e", P, {});
  CHECK(missing.status().code() == StatusCode::kNotFound);
}

TEST_CASE("per-thread merge caches never mix up two encodings") {
  std::string file;
  for (int b = 0; b < 256; ++b)
    file += base64(std::string(1, static_cast<char>(b))) + " " + std::to_string(b) + "\n";
  file += base64("ab") + " 256\n" + base64("abab") + " 257\n";
  auto tiny = Encoding::from_tiktoken_text(file, "tiny", tokenizer::PatternKind::kO200k, {});
  REQUIRE(tiny.ok());
  const Encoding &o = tokenizer::o200k_base();
  for (int round = 0; round < 3; ++round) {
    // The same pieces go through both tables on this thread, interleaved.
    const Ids big = o.encode_ordinary(" ababx ababx");
    CHECK(*o.decode(big) == " ababx ababx");
    CHECK((*tiny)->encode_ordinary(" ababx ababx") == Ids{32, 257, 120, 32, 257, 120});
    CHECK((*tiny)->count_ordinary(" ababx") == 3);
    CHECK(o.encode_ordinary(" ababx ababx") == big);
  }
}
