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

inline uint64_t load64(const unsigned char *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t load32(const unsigned char *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline uint64_t mix(uint64_t a, uint64_t b) {
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// wyhash-style hash of a short byte string: fixed-size (possibly overlapping) loads, never a
// variable-length memcpy, never reading outside [p, p + len).
inline uint64_t hash_bytes(const unsigned char *p, size_t len) {
  constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull;
  uint64_t a, b, seed = k0 ^ (len * k2);
  if (len <= 16) {
    if (len >= 4) {
      a = (load32(p) << 32) | load32(p + ((len >> 3) << 2));
      b = (load32(p + len - 4) << 32) | load32(p + len - 4 - ((len >> 3) << 2));
    } else if (len > 0) {
      a = (static_cast<uint64_t>(p[0]) << 16) | (static_cast<uint64_t>(p[len >> 1]) << 8) | p[len - 1];
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    size_t i = len;
    while (i > 16) {
      seed = mix(load64(p) ^ k1, load64(p + 8) ^ seed);
      p += 16;
      i -= 16;
    }
    a = load64(p + i - 16);
    b = load64(p + i - 8);
  }
  return mix(k1 ^ len, mix(a ^ k1, b ^ seed));
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
    return lookup_hashed(p, len, hash_bytes(p, len));
  }
  // Same for len > 2 and len <= max_token_length(), with h == hash_bytes(p, len).
  uint32_t lookup_hashed(const unsigned char *p, size_t len, uint64_t h) const {
    const uint32_t check = slot_check(h, len);
    const uint64_t head = head_of(p, len);
    size_t idx = static_cast<size_t>(h) & mask_;
    for (;;) {
      const Slot &s = slots_[idx];
      if (s.rank == kNoRank) return kNoRank;
      // Tokens of up to 8 bytes are compared inside the slot: one memory access per probe.
      if (s.check == check && s.head == head &&
          (len <= 8 || bytes_equal(blob_base_ + offsets_[s.rank] + 8, p + 8, len - 8)))
        return s.rank;
      idx = (idx + 1) & mask_;
    }
  }
  // The first min(len, 8) bytes as a little-endian integer, zero-padded; reads only [p, p + len).
  static uint64_t head_of(const unsigned char *p, size_t len) {
    if (len >= 8) return load64(p);
    if (len >= 4) return load32(p) | (load32(p + len - 4) << (8 * (len - 4)));
    return static_cast<uint64_t>(p[0]) | (static_cast<uint64_t>(p[len >> 1]) << (8 * (len >> 1))) |
           (static_cast<uint64_t>(p[len - 1]) << (8 * (len - 1)));
  }
  static bool bytes_equal(const unsigned char *a, const unsigned char *b, size_t len) {
    // Tokens are short: compare 8 bytes at a time without a libc call.
    while (len >= 8) {
      uint64_t x, y;
      std::memcpy(&x, a, 8);
      std::memcpy(&y, b, 8);
      if (x != y) return false;
      a += 8;
      b += 8;
      len -= 8;
    }
    for (size_t i = 0; i < len; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  std::string_view bytes(uint32_t rank) const {
    return std::string_view(blob_.data() + offsets_[rank], offsets_[rank + 1] - offsets_[rank]);
  }
  uint32_t byte_rank(unsigned char b) const { return byte_[b]; }
  // Unique per built table in this process (never reused), e.g. to tag cache entries.
  uint64_t id() const { return id_; }
  // Bytes of memory held by the table (for the benchmark's report).
  size_t memory_bytes() const;

 private:
  // check = 24 bits of the hash and the token length, so most mismatches need no byte compare.
  static uint32_t slot_check(uint64_t h, size_t len) {
    return (static_cast<uint32_t>(h >> 40) << 8) | static_cast<uint32_t>(len & 0xFF);
  }
  struct Slot {
    uint32_t rank;
    uint32_t check;
    uint64_t head;  // head_of(token)
  };
  const unsigned char *blob_base_ = nullptr;
  uint64_t id_ = 0;
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
