// Byte string <-> rank table of one encoding: token bytes stored once in rank order, an
// open-addressing hash index for bytes -> rank, and a direct table for every 2-byte pair.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/result.hpp"

namespace voxline::tokenizer::detail {

constexpr uint32_t kNoRank = 0xFFFFFFFFu;

inline uint64_t load_partial(const unsigned char *p, size_t len) {
  // len in 1..7
  uint64_t v = 0;
  std::memcpy(&v, p, len);
  return v;
}

inline uint64_t hash_bytes(const unsigned char *p, size_t len) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (len * 0xC2B2AE3D27D4EB4Full);
  while (len >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    p += 8;
    len -= 8;
  }
  if (len) {
    h = (h ^ load_partial(p, len)) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
  }
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h;
}

class RankTable {
 public:
  RankTable() = default;
  RankTable(RankTable &&o) noexcept { *this = std::move(o); }
  RankTable &operator=(RankTable &&o) noexcept;
  RankTable(const RankTable &) = delete;
  RankTable &operator=(const RankTable &) = delete;

  // Token bytes in rank order (lengths[r] bytes of `blob` for rank r, consecutively). `blob` is
  // either `owned` (moved in) or static storage (the compiled-in tables) when `owned` is empty.
  static Result<RankTable> build(std::string_view blob, const std::vector<uint32_t> &lengths,
                                 std::string owned = {});

  uint32_t size() const { return static_cast<uint32_t>(offsets_.size() - 1); }
  size_t max_token_length() const { return max_len_; }

  uint32_t lookup(const unsigned char *p, size_t len) const {
    if (len == 2) return pair_[(static_cast<uint32_t>(p[0]) << 8) | p[1]];
    if (len == 1) return byte_[p[0]];
    if (len > max_len_) return kNoRank;
    const uint64_t h = hash_bytes(p, len);
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    size_t idx = static_cast<size_t>(h) & mask_;
    for (;;) {
      const Slot &s = slots_[idx];
      if (s.rank == kNoRank) return kNoRank;
      if (s.tag == tag) {
        const uint32_t off = offsets_[s.rank];
        if (offsets_[s.rank + 1] - off == len && std::memcmp(blob_.data() + off, p, len) == 0) return s.rank;
      }
      idx = (idx + 1) & mask_;
    }
  }
  std::string_view bytes(uint32_t rank) const {
    return std::string_view(blob_.data() + offsets_[rank], offsets_[rank + 1] - offsets_[rank]);
  }
  uint32_t byte_rank(unsigned char b) const { return byte_[b]; }
  // Bytes of memory held by the table (for the benchmark's report).
  size_t memory_bytes() const;

 private:
  struct Slot {
    uint32_t rank;
    uint32_t tag;
  };
  std::string owned_;
  std::string_view blob_;
  std::vector<uint32_t> offsets_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t max_len_ = 0;
  std::vector<uint32_t> pair_;  // 65536 entries
  uint32_t byte_[256];
};

}  // namespace voxline::tokenizer::detail
