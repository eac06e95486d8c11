// Internal state of an Encoding and the loaders that build it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/rank_table.hpp"
#include "voxline/tokenizer/encoding.hpp"

namespace voxline::tokenizer {

struct EncodingData {
  std::string name;
  PatternKind pattern = PatternKind::kO200k;
  detail::RankTable table;
  std::vector<std::pair<std::string, uint32_t>> specials;
  uint32_t n_vocab = 0;
};

namespace detail {

// Parses the compiled-in compact form (see data/gen_rank_blobs.mjs); the bytes must outlive the
// table (they are static).
Result<RankTable> load_compact_ranks(std::string_view compact);
// Parses .tiktoken text: "<base64> <rank>\n" lines, ranks 0..n-1 in any order.
Result<RankTable> load_tiktoken_ranks(std::string_view text);

Result<std::unique_ptr<EncodingData>> make_encoding_data(
    std::string name, PatternKind pattern, RankTable table,
    std::vector<std::pair<std::string, uint32_t>> specials);

}  // namespace detail
}  // namespace voxline::tokenizer
