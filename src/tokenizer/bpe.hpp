// Byte-pair merging of one pre-tokenised piece (tiktoken CoreBPE::_byte_pair_merge semantics:
// repeatedly merge the adjacent pair whose concatenation has the lowest rank, leftmost on ties).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tokenizer/rank_table.hpp"

namespace voxline::tokenizer::detail {

// Appends the ranks of piece p[0..len) to `out` (len >= 1).
void bpe_encode(const RankTable &table, const unsigned char *p, size_t len, std::vector<uint32_t> &out);
// Number of ranks bpe_encode would append.
size_t bpe_count(const RankTable &table, const unsigned char *p, size_t len);

}  // namespace voxline::tokenizer::detail
