// Byte-pair merging of one pre-tokenised piece (tiktoken CoreBPE::_byte_pair_merge semantics:
// repeatedly merge the adjacent pair whose concatenation has the lowest rank, leftmost on ties).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tokenizer/rank_table.hpp"

namespace voxline::tokenizer::detail {

struct PieceCache;

// Encodes pieces for one call on one thread. Pieces that are not a single token are remembered in
// a per-thread cache (direct-mapped, ~700 KiB, allocated on the thread's first use), because
// natural text repeats the same multi-token words; whole-token pieces need one hash probe anyway.
class PieceEncoder {
 public:
  explicit PieceEncoder(const RankTable &table);

  // Appends the ranks of piece p[0..len) (len >= 1) to `out`.
  void encode(const unsigned char *p, size_t len, std::vector<uint32_t> &out);
  // Number of ranks encode() would append.
  size_t count(const unsigned char *p, size_t len);

 private:
  const RankTable &table_;
  PieceCache *cache_;
};

// Uncached merge (used by PieceEncoder; exposed for tests).
void bpe_encode(const RankTable &table, const unsigned char *p, size_t len, std::vector<uint32_t> &out);
size_t bpe_count(const RankTable &table, const unsigned char *p, size_t len);

}  // namespace voxline::tokenizer::detail
