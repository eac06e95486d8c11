#include "tokenizer/rank_table.hpp"

#include <atomic>
#include <string>

namespace voxline::tokenizer::detail {

RankTable &RankTable::operator=(RankTable &&o) noexcept {
  const bool owns = !o.owned_.empty() && o.blob_.data() == o.owned_.data();
  owned_ = std::move(o.owned_);
  blob_ = owns ? std::string_view(owned_) : o.blob_;
  offsets_ = std::move(o.offsets_);
  slots_ = std::move(o.slots_);
  mask_ = o.mask_;
  max_len_ = o.max_len_;
  pair_ = std::move(o.pair_);
  std::memcpy(byte_, o.byte_, sizeof(byte_));
  blob_base_ = reinterpret_cast<const unsigned char *>(blob_.data());
  id_ = o.id_;
  return *this;
}

Result<RankTable> RankTable::build(std::string_view blob, const std::vector<uint32_t> &lengths,
                                   std::string owned) {
  RankTable t;
  const size_t n = lengths.size();
  if (n == 0 || n >= kNoRank - 1) return invalid_argument("rank table: no ranks or too many");
  t.offsets_.resize(n + 1);
  uint64_t off = 0;
  for (size_t r = 0; r < n; ++r) {
    if (lengths[r] == 0 || lengths[r] > 255)
      return invalid_argument("rank table: token of rank " + std::to_string(r) +
                              " is empty or over 255 bytes");
    t.offsets_[r] = static_cast<uint32_t>(off);
    off += lengths[r];
    if (lengths[r] > t.max_len_) t.max_len_ = lengths[r];
  }
  if (off != blob.size() || off > 0xFFFFFFFFu) return invalid_argument("rank table: lengths do not add up");
  t.offsets_[n] = static_cast<uint32_t>(off);
  if (!owned.empty()) {
    t.owned_ = std::move(owned);
    t.blob_ = t.owned_;
  } else {
    t.blob_ = blob;
  }

  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;  // load factor <= 0.5 keeps probe chains short
  static std::atomic<uint64_t> next_id{1};
  do {
    t.id_ = next_id.fetch_add(1);
  } while (static_cast<uint32_t>(t.id_) == 0);  // caches use 0 (also as 32 bits) for "empty"
  t.blob_base_ = reinterpret_cast<const unsigned char *>(t.blob_.data());
  t.slots_.assign(cap, Slot{kNoRank, 0, 0});
  t.mask_ = cap - 1;
  t.pair_.assign(65536, kNoRank);
  for (uint32_t &b : t.byte_) b = kNoRank;
  const auto *base = reinterpret_cast<const unsigned char *>(t.blob_.data());
  for (size_t r = 0; r < n; ++r) {
    const unsigned char *p = base + t.offsets_[r];
    const size_t len = lengths[r];
    const uint64_t h = hash_bytes(p, len);
    size_t idx = static_cast<size_t>(h) & t.mask_;
    for (;;) {
      Slot &s = t.slots_[idx];
      if (s.rank == kNoRank) {
        s.rank = static_cast<uint32_t>(r);
        s.check = slot_check(h, len);
        s.head = head_of(p, len);
        break;
      }
      const uint32_t o = t.offsets_[s.rank];
      if (t.offsets_[s.rank + 1] - o == len && std::memcmp(base + o, p, len) == 0)
        return invalid_argument("rank table: token of rank " + std::to_string(r) + " duplicates rank " +
                                std::to_string(s.rank));
      idx = (idx + 1) & t.mask_;
    }
    if (len == 1) t.byte_[p[0]] = static_cast<uint32_t>(r);
    if (len == 2) t.pair_[(static_cast<uint32_t>(p[0]) << 8) | p[1]] = static_cast<uint32_t>(r);
  }
  for (int b = 0; b < 256; ++b)
    if (t.byte_[b] == kNoRank)
      return invalid_argument("rank table: byte " + std::to_string(b) +
                              " has no rank (byte fallback needs all 256)");
  return t;
}

size_t RankTable::memory_bytes() const {
  return owned_.capacity() + offsets_.capacity() * sizeof(uint32_t) + slots_.capacity() * sizeof(Slot) +
         pair_.capacity() * sizeof(uint32_t) + sizeof(byte_);
}

}  // namespace voxline::tokenizer::detail
