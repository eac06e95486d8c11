#include "tokenizer/bpe.hpp"

#include <algorithm>
#include <memory>

namespace voxline::tokenizer::detail {

struct PieceCache {
  // Whole pieces that are several tokens, e.g. " tokenizer" -> " token", "izer".
  static constexpr size_t kEntries = 4096;  // power of two
  static constexpr size_t kMaxKey = 46;     // longer pieces are not cached
  static constexpr size_t kMaxIds = 12;     // pieces of more tokens are not cached
  struct Entry {
    uint64_t table_id = 0;  // 0: empty
    uint64_t hash = 0;
    uint8_t len = 0;
    uint8_t ntok = 0;
    unsigned char key[kMaxKey];
    uint32_t ids[kMaxIds];
  };
  // Rank of the concatenation of two tokens (a merge), keyed by the two ranks: cheaper than
  // hashing and comparing the bytes, and merges repeat a lot.
  static constexpr size_t kPairs = 16384;  // power of two
  struct Pair {
    uint64_t key = 0;    // a << 32 | b
    uint32_t table = 0;  // low 32 bits of RankTable::id(); 0: empty
    uint32_t rank = kNoRank;
  };
  Entry entries[kEntries];
  Pair pairs[kPairs];
  // Scratch for merging long pieces (kept to avoid an allocation per piece; shrunk when huge).
  std::vector<uint32_t> scratch;
  std::vector<uint64_t> heap;
};

namespace {

constexpr size_t kMaxPiece = size_t{1} << 31;

// Rank of token a's bytes followed by token b's bytes (kNoRank if that is not a token).
class Merger {
 public:
  Merger(const RankTable &t, PieceCache *cache, const unsigned char *p) : t_(t), cache_(cache), p_(p) {}

  uint32_t join(uint32_t a, uint32_t b, uint32_t start, uint32_t end) const {
    const uint64_t key = static_cast<uint64_t>(a) << 32 | b;
    const uint32_t table = static_cast<uint32_t>(t_.id());
    PieceCache::Pair &e = cache_->pairs[((key * 0x9E3779B97F4A7C15ull) >> 40) & (PieceCache::kPairs - 1)];
    if (e.key == key && e.table == table) return e.rank;
    const uint32_t r = t_.lookup(p_ + start, end - start);
    e.key = key;
    e.table = table;
    e.rank = r;
    return r;
  }

  // Quadratic scan, for short pieces: calls emit(rank) for each final part.
  template <typename Emit>
  void small(size_t len, Emit &&emit) const {
    constexpr size_t kMax = 40;
    uint32_t start[kMax + 1], tok[kMax + 1], pair[kMax + 1];
    size_t parts = len;
    uint32_t min_rank = kNoRank;
    size_t min_i = 0;
    for (size_t i = 0; i < len; ++i) {
      start[i] = static_cast<uint32_t>(i);
      tok[i] = t_.byte_rank(p_[i]);
    }
    start[len] = static_cast<uint32_t>(len);
    for (size_t i = 0; i + 1 < len; ++i) {
      pair[i] = t_.lookup(p_ + i, 2);
      if (pair[i] < min_rank) {
        min_rank = pair[i];
        min_i = i;
      }
    }
    pair[len - 1] = kNoRank;
    while (min_rank != kNoRank) {
      const size_t i = min_i;
      tok[i] = min_rank;
      for (size_t k = i + 1; k + 1 < parts; ++k) {  // drop part i+1
        start[k] = start[k + 1];
        tok[k] = tok[k + 1];
        pair[k] = pair[k + 1];
      }
      --parts;
      start[parts] = static_cast<uint32_t>(len);
      pair[parts - 1] = kNoRank;
      if (i + 1 < parts)
        pair[i] = join(tok[i], tok[i + 1], start[i], start[i + 2]);
      else
        pair[i] = kNoRank;
      if (i > 0) pair[i - 1] = join(tok[i - 1], tok[i], start[i - 1], start[i + 1]);
      min_rank = kNoRank;
      for (size_t k = 0; k + 1 < parts; ++k) {
        if (pair[k] < min_rank) {
          min_rank = pair[k];
          min_i = k;
        }
      }
    }
    for (size_t k = 0; k < parts; ++k) emit(tok[k]);
  }

  // Min-heap of (pair rank, start) over a linked list of parts, for long pieces: O(n log n).
  template <typename Emit>
  void large(size_t len, Emit &&emit) const {
    // Scratch space lives in the thread's cache so steady-state encoding does not allocate.
    std::vector<uint32_t> &buf = cache_->scratch;
    if (buf.size() < 4 * len + 1) buf.resize(4 * len + 1);
    uint32_t *next = buf.data(), *prev = next + len + 1, *tok = prev + len, *pair = tok + len;
    std::vector<uint64_t> &heap = cache_->heap;
    heap.clear();
    if (heap.capacity() < len) heap.reserve(len);
    auto push = [&](uint32_t rank, uint32_t start) {
      heap.push_back(static_cast<uint64_t>(rank) << 32 | start);  // orders by rank, then leftmost
      std::push_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
    };
    for (size_t i = 0; i < len; ++i) {
      next[i] = static_cast<uint32_t>(i + 1);
      prev[i] = static_cast<uint32_t>(i ? i - 1 : 0);
      tok[i] = t_.byte_rank(p_[i]);
      pair[i] = i + 1 < len ? t_.lookup(p_ + i, 2) : kNoRank;
      if (pair[i] != kNoRank) heap.push_back(static_cast<uint64_t>(pair[i]) << 32 | i);
    }
    std::make_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
    const uint32_t n = static_cast<uint32_t>(len);
    auto refresh = [&](uint32_t i) {
      const uint32_t j = next[i];
      pair[i] = j < n ? join(tok[i], tok[j], i, next[j]) : kNoRank;
      if (pair[i] != kNoRank) push(pair[i], i);
    };
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
      const uint64_t top = heap.back();
      heap.pop_back();
      const uint32_t i = static_cast<uint32_t>(top), rank = static_cast<uint32_t>(top >> 32);
      if (next[i] == 0 || pair[i] != rank) continue;  // part i is gone or its pair changed
      const uint32_t j = next[i];
      tok[i] = rank;
      next[i] = next[j];
      next[j] = 0;  // marks j as merged away (no live part has next == 0)
      if (next[i] < n) prev[next[i]] = i;
      refresh(i);
      if (i > 0) refresh(prev[i]);
    }
    for (uint32_t i = 0; i < n; i = next[i]) emit(tok[i]);
    if (buf.capacity() > (size_t{1} << 20)) {  // do not keep megabytes per thread after a huge piece
      std::vector<uint32_t>().swap(buf);
      std::vector<uint64_t>().swap(heap);
    }
  }

  template <typename Emit>
  void merge(size_t len, Emit &&emit) const {
    if (len <= 40) {
      small(len, emit);
    } else if (len < kMaxPiece) {
      large(len, emit);
    } else {
      // Positions are 32-bit: a single piece of 2 GiB or more (no letter/space/digit boundary in
      // it) is merged in 2 GiB chunks. The only case where ids may differ from tiktoken.
      for (size_t off = 0; off < len; off += kMaxPiece - 1) {
        const Merger part(t_, cache_, p_ + off);
        part.large(std::min(kMaxPiece - 1, len - off), emit);
      }
    }
  }

 private:
  const RankTable &t_;
  PieceCache *cache_;
  const unsigned char *p_;
};

PieceCache *thread_cache() {
  thread_local std::unique_ptr<PieceCache> cache;
  if (!cache) cache = std::make_unique<PieceCache>();
  return cache.get();
}

}  // namespace

PieceEncoder::PieceEncoder(const RankTable &table) : table_(table), cache_(thread_cache()) {}

void PieceEncoder::encode(const unsigned char *p, size_t len, std::vector<uint32_t> &out) {
  if (len <= 2) {
    const uint32_t r = table_.lookup(p, len);
    if (r != kNoRank) {
      out.push_back(r);
      return;
    }
    out.push_back(table_.byte_rank(p[0]));
    out.push_back(table_.byte_rank(p[1]));
    return;
  }
  const Merger merger(table_, cache_, p);
  if (len > PieceCache::kMaxKey) {
    if (len <= table_.max_token_length()) {
      const uint32_t whole = table_.lookup(p, len);
      if (whole != kNoRank) {
        out.push_back(whole);
        return;
      }
    }
    merger.merge(len, [&](uint32_t r) { out.push_back(r); });
    return;
  }
  const uint64_t h = hash_bytes(p, len);
  const uint32_t whole = table_.lookup_hashed(p, len, h);
  if (whole != kNoRank) {
    out.push_back(whole);
    return;
  }
  PieceCache::Entry &e = cache_->entries[(h >> 20) & (PieceCache::kEntries - 1)];
  if (e.table_id == table_.id() && e.hash == h && e.len == len && RankTable::bytes_equal(e.key, p, len)) {
    out.insert(out.end(), e.ids, e.ids + e.ntok);
    return;
  }
  const size_t before = out.size();
  merger.merge(len, [&](uint32_t r) { out.push_back(r); });
  const size_t ntok = out.size() - before;
  if (ntok <= PieceCache::kMaxIds) {
    e.table_id = table_.id();
    e.hash = h;
    e.len = static_cast<uint8_t>(len);
    e.ntok = static_cast<uint8_t>(ntok);
    std::memcpy(e.key, p, len);
    std::copy(out.begin() + static_cast<std::ptrdiff_t>(before), out.end(), e.ids);
  }
}

size_t PieceEncoder::count(const unsigned char *p, size_t len) {
  if (len <= 2) return table_.lookup(p, len) != kNoRank ? 1 : len;
  const Merger merger(table_, cache_, p);
  if (len > PieceCache::kMaxKey) {
    if (len <= table_.max_token_length() && table_.lookup(p, len) != kNoRank) return 1;
    size_t n = 0;
    merger.merge(len, [&](uint32_t) { ++n; });
    return n;
  }
  const uint64_t h = hash_bytes(p, len);
  if (table_.lookup_hashed(p, len, h) != kNoRank) return 1;
  PieceCache::Entry &e = cache_->entries[(h >> 20) & (PieceCache::kEntries - 1)];
  if (e.table_id == table_.id() && e.hash == h && e.len == len && RankTable::bytes_equal(e.key, p, len))
    return e.ntok;
  // Fill the cache with the ids so a later encode of the same piece hits too.
  uint32_t ids[PieceCache::kMaxIds];
  size_t ntok = 0;
  merger.merge(len, [&](uint32_t r) {
    if (ntok < PieceCache::kMaxIds) ids[ntok] = r;
    ++ntok;
  });
  if (ntok <= PieceCache::kMaxIds) {
    e.table_id = table_.id();
    e.hash = h;
    e.len = static_cast<uint8_t>(len);
    e.ntok = static_cast<uint8_t>(ntok);
    std::memcpy(e.key, p, len);
    std::copy(ids, ids + ntok, e.ids);
  }
  return ntok;
}

void bpe_encode(const RankTable &t, const unsigned char *p, size_t len, std::vector<uint32_t> &out) {
  PieceEncoder(t).encode(p, len, out);
}

size_t bpe_count(const RankTable &t, const unsigned char *p, size_t len) {
  return PieceEncoder(t).count(p, len);
}

}  // namespace voxline::tokenizer::detail
