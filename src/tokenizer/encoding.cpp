#include "voxline/tokenizer/encoding.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "tokenizer/bpe.hpp"
#include "tokenizer/embedded_data.hpp"
#include "tokenizer/encoding_data.hpp"
#include "tokenizer/pretokenizer.hpp"

namespace voxline::tokenizer {

namespace detail {

Result<std::unique_ptr<EncodingData>> make_encoding_data(
    std::string name, PatternKind pattern, RankTable table,
    std::vector<std::pair<std::string, uint32_t>> specials) {
  auto d = std::make_unique<EncodingData>();
  d->name = std::move(name);
  d->pattern = pattern;
  d->n_vocab = table.size();
  for (size_t i = 0; i < specials.size(); ++i) {
    const auto &[text, id] = specials[i];
    if (text.empty()) return invalid_argument("special token with an empty string");
    if (id < table.size())
      return invalid_argument("special token " + text + " id " + std::to_string(id) +
                              " collides with a rank");
    for (size_t k = 0; k < i; ++k)
      if (specials[k].first == text || specials[k].second == id)
        return invalid_argument("special token " + text + " is listed twice or shares its id");
    d->n_vocab = std::max(d->n_vocab, id + 1);
  }
  d->table = std::move(table);
  d->specials = std::move(specials);
  return d;
}

}  // namespace detail

namespace {

// Encodes one segment without special-token handling.
struct IdSink {
  std::vector<uint32_t> &out;
  detail::PieceEncoder bpe;
  void piece(std::string_view p) {
    bpe.encode(reinterpret_cast<const unsigned char *>(p.data()), p.size(), out);
  }
  void special(uint32_t id) { out.push_back(id); }
};
struct CountSink {
  size_t n = 0;
  detail::PieceEncoder bpe;
  void piece(std::string_view p) {
    n += bpe.count(reinterpret_cast<const unsigned char *>(p.data()), p.size());
  }
  void special(uint32_t) { ++n; }
};

template <typename Sink>
void encode_segment(const EncodingData &d, std::string_view text, Sink &sink) {
  detail::for_each_piece(d.pattern, text, [&](std::string_view p) { sink.piece(p); });
}

Status not_special(const EncodingData &d, const std::string &s) {
  return invalid_argument("'" + s + "' is not a special token of " + d.name);
}

}  // namespace

Encoding::Encoding(std::unique_ptr<EncodingData> data) : data_(std::move(data)) {}
Encoding::~Encoding() = default;

const std::string &Encoding::name() const noexcept {
  return data_->name;
}
PatternKind Encoding::pattern() const noexcept {
  return data_->pattern;
}
uint32_t Encoding::n_vocab() const noexcept {
  return data_->n_vocab;
}
uint32_t Encoding::rank_count() const noexcept {
  return data_->table.size();
}
const std::vector<std::pair<std::string, uint32_t>> &Encoding::special_tokens() const noexcept {
  return data_->specials;
}

std::vector<uint32_t> Encoding::encode_ordinary(std::string_view text) const {
  std::vector<uint32_t> out;
  out.reserve(text.size() / 4 + 8);
  encode_ordinary(text, out);
  return out;
}

void Encoding::encode_ordinary(std::string_view text, std::vector<uint32_t> &out) const {
  IdSink sink{out, detail::PieceEncoder(data_->table)};
  encode_segment(*data_, text, sink);
}

size_t Encoding::count_ordinary(std::string_view text) const {
  CountSink sink{0, detail::PieceEncoder(data_->table)};
  encode_segment(*data_, text, sink);
  return sink.n;
}

template <typename Sink>
Status Encoding::encode_impl(std::string_view text, const SpecialTokenOptions &options, Sink &sink) const {
  const auto &specials = data_->specials;
  const size_t ns = specials.size();
  std::vector<uint8_t> allowed(ns, options.allow_all ? 1 : 0), disallowed(ns, 0);
  auto index_of = [&](const std::string &s) -> size_t {
    for (size_t i = 0; i < ns; ++i)
      if (specials[i].first == s) return i;
    return ns;
  };
  for (const std::string &s : options.allowed) {
    const size_t i = index_of(s);
    if (i == ns) return not_special(*data_, s);
    allowed[i] = 1;
  }
  if (options.disallow_all_not_allowed) {
    for (size_t i = 0; i < ns; ++i) disallowed[i] = !allowed[i];
  }
  for (const std::string &s : options.disallowed) {
    const size_t i = index_of(s);
    if (i == ns) return not_special(*data_, s);
    if (!allowed[i]) disallowed[i] = 1;
  }
  // Leftmost occurrence of each special from `from` (npos when none), kept up to date lazily.
  std::vector<size_t> next(ns, std::string_view::npos);
  bool any_disallowed = false, any_allowed = false;
  for (size_t i = 0; i < ns; ++i) {
    if (!allowed[i] && !disallowed[i]) continue;
    next[i] = text.find(specials[i].first);
    if (next[i] == std::string_view::npos) continue;
    any_disallowed |= disallowed[i] != 0;
    any_allowed |= allowed[i] != 0;
  }
  if (any_disallowed) {
    size_t best = ns;
    for (size_t i = 0; i < ns; ++i)
      if (disallowed[i] && next[i] != std::string_view::npos && (best == ns || next[i] < next[best]))
        best = i;
    return invalid_argument("The text contains a special token that is not allowed: " + specials[best].first);
  }
  if (!any_allowed) {
    encode_segment(*data_, text, sink);
    return Status::Ok();
  }
  size_t pos = 0;
  for (;;) {
    size_t best = ns;
    for (size_t i = 0; i < ns; ++i) {
      if (!allowed[i]) continue;
      if (next[i] != std::string_view::npos && next[i] < pos) next[i] = text.find(specials[i].first, pos);
      if (next[i] != std::string_view::npos && (best == ns || next[i] < next[best])) best = i;
    }
    if (best == ns) break;
    encode_segment(*data_, text.substr(pos, next[best] - pos), sink);
    sink.special(specials[best].second);
    pos = next[best] + specials[best].first.size();
  }
  encode_segment(*data_, text.substr(pos), sink);
  return Status::Ok();
}

Result<std::vector<uint32_t>> Encoding::encode(std::string_view text,
                                               const SpecialTokenOptions &options) const {
  std::vector<uint32_t> out;
  out.reserve(text.size() / 4 + 8);
  IdSink sink{out, detail::PieceEncoder(data_->table)};
  VOXLINE_RETURN_IF_ERROR(encode_impl(text, options, sink));
  return out;
}

Result<size_t> Encoding::count(std::string_view text, const SpecialTokenOptions &options) const {
  CountSink sink{0, detail::PieceEncoder(data_->table)};
  VOXLINE_RETURN_IF_ERROR(encode_impl(text, options, sink));
  return sink.n;
}

Result<std::string_view> Encoding::token_bytes(uint32_t id) const {
  if (id < data_->table.size()) return data_->table.bytes(id);
  for (const auto &[text, sid] : data_->specials)
    if (sid == id) return std::string_view(text);
  return invalid_argument("token id " + std::to_string(id) + " is not in " + data_->name);
}

Result<std::string> Encoding::decode(const uint32_t *ids, size_t count) const {
  std::string out;
  out.reserve(count * 4);
  for (size_t i = 0; i < count; ++i) {
    const uint32_t id = ids[i];
    if (id < data_->table.size()) {
      out += data_->table.bytes(id);
      continue;
    }
    VOXLINE_ASSIGN_OR_RETURN(std::string_view bytes, token_bytes(id));
    out += bytes;
  }
  return out;
}

Result<std::string> Encoding::decode(const std::vector<uint32_t> &ids) const {
  return decode(ids.data(), ids.size());
}

Result<std::shared_ptr<const Encoding>> Encoding::from_tiktoken_text(
    std::string_view contents, std::string name, PatternKind pattern,
    std::vector<std::pair<std::string, uint32_t>> special_tokens) {
  VOXLINE_ASSIGN_OR_RETURN(detail::RankTable table, detail::load_tiktoken_ranks(contents));
  VOXLINE_ASSIGN_OR_RETURN(auto data, detail::make_encoding_data(std::move(name), pattern, std::move(table),
                                                                 std::move(special_tokens)));
  return std::shared_ptr<const Encoding>(std::make_shared<Encoding>(std::move(data)));
}

Result<std::shared_ptr<const Encoding>> Encoding::load_tiktoken_file(
    const std::string &path, std::string name, PatternKind pattern,
    std::vector<std::pair<std::string, uint32_t>> special_tokens) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot open .tiktoken file " + path);
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return unavailable("error reading .tiktoken file " + path);
  auto r = from_tiktoken_text(contents, std::move(name), pattern, std::move(special_tokens));
  if (!r.ok()) return r.status().with_context(path);
  return r;
}

namespace {

const Encoding *build_builtin(std::string_view compact, const char *name, PatternKind pattern,
                              std::vector<std::pair<std::string, uint32_t>> specials) {
  auto table = detail::load_compact_ranks(compact);
  if (!table.ok()) throw std::logic_error(table.status().to_string());
  auto data = detail::make_encoding_data(name, pattern, std::move(table).value(), std::move(specials));
  if (!data.ok()) throw std::logic_error(data.status().to_string());
  return new Encoding(std::move(data).value());  // lives until process exit, shared by everyone
}

}  // namespace

// Function-local statics: built on first use, exactly once, thread-safe (C++11 magic statics).
const Encoding &o200k_base() {
  static const Encoding *const enc =
      build_builtin(detail::embedded_o200k_base(), "o200k_base", PatternKind::kO200k,
                    {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}});
  return *enc;
}

const Encoding &cl100k_base() {
  static const Encoding *const enc =
      build_builtin(detail::embedded_cl100k_base(), "cl100k_base", PatternKind::kCl100k,
                    {{"<|endoftext|>", 100257},
                     {"<|fim_prefix|>", 100258},
                     {"<|fim_middle|>", 100259},
                     {"<|fim_suffix|>", 100260},
                     {"<|endofprompt|>", 100276}});
  return *enc;
}

Result<const Encoding *> get_encoding(std::string_view name) {
  if (name == "o200k_base") return &o200k_base();
  if (name == "cl100k_base") return &cl100k_base();
  return not_found("unknown encoding '" + std::string(name) + "' (built in: o200k_base, cl100k_base)");
}

}  // namespace voxline::tokenizer
