// File: encoding.hpp
// Exact tiktoken-compatible byte-pair encoding for OpenAI's o200k_base (GPT-4o, GPT-4.1, o-series)
// and cl100k_base (GPT-4, GPT-3.5): the same ids as OpenAI's tiktoken (npm tiktoken 1.0.22 /
// Python tiktoken), including pre-tokenisation with Unicode 16.0 classes and special tokens.
//
//   VOXLINE_ASSIGN_OR_RETURN(const tokenizer::Encoding *enc, tokenizer::encoding_for_model("gpt-4o"));
//   std::vector<uint32_t> ids = enc->encode_ordinary("hello world");  // {24912, 2375}
//   size_t n = enc->count_ordinary(text);                            // same as ids.size(), faster
//   VOXLINE_ASSIGN_OR_RETURN(std::string back, enc->decode(ids));
//
// Ownership/lifetime: the built-in encodings are created lazily on first use, once per process,
// and live until exit; the pointers returned by get_encoding()/encoding_for_model() stay valid for
// the whole process and are shared by all sessions. Encodings loaded from a file are owned by the
// returned shared_ptr. Each thread that encodes also keeps a ~700 KiB cache of recently merged
// pieces (allocated on its first encode, freed when the thread exits).
// Thread-safety: an Encoding is immutable; every method may be called concurrently from any thread.
// First use from several threads at once is safe (the tables are built exactly once).
//
// Invalid UTF-8: encoding works on bytes, so any byte string is accepted and decode(encode(x)) == x
// always holds. For pre-tokenisation, every byte that is not part of a well-formed UTF-8 character
// (stray continuation bytes, truncated or overlong sequences, surrogates, values above U+10FFFF)
// counts as one character of the class of U+FFFD (a symbol: not a letter, number, mark or white
// space), and BPE encodes the raw byte. Valid input is never affected. (tiktoken accepts only valid
// text; Python tiktoken replaces bad characters with U+FFFD, which loses the bytes.)
//
// Cost: about 250 MB/s on English and code, 100-200 MB/s on other scripts (one core). A single piece
// (a run of letters, of spaces or of symbols without any boundary) of n bytes costs O(n log n)
// (tiktoken: O(n^2)); e.g. 1 MB of letters without a space takes a few seconds. A piece of 2 GiB or
// more is merged in 2 GiB chunks, the only case where ids may differ from tiktoken.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"

namespace voxline::tokenizer {

// Opaque: the ranks and specials of an Encoding, defined (and only constructible) inside the library.
struct EncodingData;

// Which pre-tokenisation regex (tiktoken pat_str) an encoding uses.
enum class PatternKind {
  kO200k,   // o200k_base: case-split words with attached contractions, [\r\n/]* after punctuation
  kCl100k,  // cl100k_base: contractions first, \p{L}+ words
};

// tiktoken's allowed_special / disallowed_special arguments of encode().
struct SpecialTokenOptions {
  bool allow_all = false;            // allowed_special="all"
  std::vector<std::string> allowed;  // allowed_special={...}; each must be a special of the encoding
  // true: disallowed_special="all" (every special not allowed is an error when it appears);
  // false: only the strings in `disallowed` are errors; other specials are ordinary text.
  bool disallow_all_not_allowed = true;
  std::vector<std::string> disallowed;

  static SpecialTokenOptions all_allowed() {
    SpecialTokenOptions o;
    o.allow_all = true;
    return o;
  }
};

class VOXLINE_API Encoding {
 public:
  ~Encoding();
  Encoding(const Encoding &) = delete;
  Encoding &operator=(const Encoding &) = delete;

  // Loads a .tiktoken rank file ("<base64 bytes> <rank>\n" per line, ranks 0..n-1) from `path`.
  // `special_tokens` maps literal strings to ids that must not collide with ranks.
  // Errors: NOT_FOUND when the file cannot be opened, INVALID_ARGUMENT for malformed lines,
  // duplicate or non-contiguous ranks, or colliding special ids.
  static Result<std::shared_ptr<const Encoding>> load_tiktoken_file(
      const std::string &path, std::string name, PatternKind pattern,
      std::vector<std::pair<std::string, uint32_t>> special_tokens);
  // Same, from the file's contents in memory.
  static Result<std::shared_ptr<const Encoding>> from_tiktoken_text(
      std::string_view contents, std::string name, PatternKind pattern,
      std::vector<std::pair<std::string, uint32_t>> special_tokens);

  const std::string &name() const noexcept;
  PatternKind pattern() const noexcept;
  // Highest token id + 1 (o200k_base 200019, cl100k_base 100277).
  uint32_t n_vocab() const noexcept;
  // Number of ordinary (BPE) ranks.
  uint32_t rank_count() const noexcept;
  const std::vector<std::pair<std::string, uint32_t>> &special_tokens() const noexcept;

  // tiktoken encode_ordinary: special-token strings are plain text. Never fails.
  std::vector<uint32_t> encode_ordinary(std::string_view text) const;
  // Appends to `out` instead of returning a new vector.
  void encode_ordinary(std::string_view text, std::vector<uint32_t> &out) const;
  // encode_ordinary(text).size() without materialising the ids.
  size_t count_ordinary(std::string_view text) const;

  // tiktoken encode: INVALID_ARGUMENT "The text contains a special token that is not allowed: <s>"
  // when a disallowed special string appears; allowed specials become their ids and the text
  // between them is encoded segment by segment (as tiktoken does). INVALID_ARGUMENT as well when
  // `options` names a string that is not a special token of this encoding.
  Result<std::vector<uint32_t>> encode(std::string_view text, const SpecialTokenOptions &options = {}) const;
  Result<size_t> count(std::string_view text, const SpecialTokenOptions &options = {}) const;

  // Concatenated bytes of the tokens (specials decode to their literal text). INVALID_ARGUMENT
  // naming the first id that is neither a rank nor a special token. The result may be invalid
  // UTF-8 when the ids cut a character in the middle.
  Result<std::string> decode(const std::vector<uint32_t> &ids) const;
  Result<std::string> decode(const uint32_t *ids, size_t count) const;
  // The bytes of one token (a special's literal text); INVALID_ARGUMENT for an unknown id.
  Result<std::string_view> token_bytes(uint32_t id) const;

  // Used by the loaders; an EncodingData cannot be made outside the library.
  explicit Encoding(std::unique_ptr<EncodingData> data);

 private:
  template <typename Sink>
  Status encode_impl(std::string_view text, const SpecialTokenOptions &options, Sink &sink) const;

  std::unique_ptr<EncodingData> data_;
};

// The built-in encodings, by name: "o200k_base" or "cl100k_base". Loaded on first use (compiled-in
// tables; no files, no configuration). NOT_FOUND for other names.
VOXLINE_API Result<const Encoding *> get_encoding(std::string_view name);
VOXLINE_API const Encoding &o200k_base();
VOXLINE_API const Encoding &cl100k_base();

// Model name -> encoding name, following tiktoken's model table:
//   o200k_base: gpt-4o*, chatgpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5*, o1*, o3*, o4* (e.g. "o1",
//               "o3-mini", "o4-mini-2025-04-16"), gpt-oss*;
//   cl100k_base: gpt-4 and gpt-4-* (gpt-4-turbo, gpt-4-0613, gpt-4-32k), gpt-3.5*, gpt-35-turbo*,
//                text-embedding-ada-002, text-embedding-3-*.
// A fine-tuned name "ft:<base>:..." maps like <base>. Matching is exact on the family name followed
// by end or '-' (so "o1" and "o1-mini" match, "o10" does not).
// Unknown model: NOT_FOUND "unknown model '<m>': no tokenizer encoding is known for it; pass an
// encoding name (o200k_base or cl100k_base) instead". No silent default: a wrong count is worse.
VOXLINE_API Result<std::string_view> encoding_name_for_model(std::string_view model);
VOXLINE_API Result<const Encoding *> encoding_for_model(std::string_view model);

}  // namespace voxline::tokenizer
