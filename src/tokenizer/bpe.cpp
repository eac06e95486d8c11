#include "tokenizer/bpe.hpp"

#include <queue>

namespace voxline::tokenizer::detail {
namespace {

// Pieces up to this many bytes use the quadratic scan on the stack (fast for short pieces, like
// upstream); longer ones use a heap over a linked list (O(n log n)).
constexpr size_t kSmallPiece = 192;

// Calls emit(start, end) for the final parts of a short piece.
template <typename Emit>
void merge_small(const RankTable &t, const unsigned char *p, size_t len, Emit &&emit) {
  uint32_t start[kSmallPiece + 1];
  uint32_t rank[kSmallPiece + 1];  // rank[i]: rank of parts i and i+1 joined, kNoRank if none
  size_t parts = len;              // number of parts; part i is [start[i], start[i+1])
  for (size_t i = 0; i < len; ++i) start[i] = static_cast<uint32_t>(i);
  start[len] = static_cast<uint32_t>(len);
  uint32_t min_rank = kNoRank;
  size_t min_i = 0;
  for (size_t i = 0; i + 1 < len; ++i) {
    rank[i] = t.lookup(p + i, 2);
    if (rank[i] < min_rank) {
      min_rank = rank[i];
      min_i = i;
    }
  }
  rank[len - 1] = kNoRank;
  rank[len] = kNoRank;
  while (min_rank != kNoRank) {
    const size_t i = min_i;
    // Join parts i and i+1, then refresh the ranks of the pairs that touch the new part.
    for (size_t k = i + 1; k < parts; ++k) {
      start[k] = start[k + 1];
      rank[k] = rank[k + 1];
    }
    --parts;
    start[parts] = static_cast<uint32_t>(len);
    rank[i] = i + 1 < parts ? t.lookup(p + start[i], start[i + 2] - start[i]) : kNoRank;
    if (i > 0) rank[i - 1] = t.lookup(p + start[i - 1], start[i + 1] - start[i - 1]);
    min_rank = kNoRank;
    for (size_t k = 0; k + 1 < parts; ++k) {
      if (rank[k] < min_rank) {
        min_rank = rank[k];
        min_i = k;
      }
    }
  }
  for (size_t k = 0; k < parts; ++k) emit(start[k], start[k + 1]);
}

template <typename Emit>
void merge_large(const RankTable &t, const unsigned char *p, size_t len, Emit &&emit) {
  // Node i is the part starting at byte i while alive; next/prev link the alive parts.
  std::vector<uint32_t> next(len), prev(len), rank(len);
  std::vector<uint8_t> alive(len, 1);
  struct Entry {
    uint32_t rank;
    uint32_t start;
    bool operator>(const Entry &o) const { return rank != o.rank ? rank > o.rank : start > o.start; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  for (size_t i = 0; i < len; ++i) {
    next[i] = static_cast<uint32_t>(i + 1);
    prev[i] = static_cast<uint32_t>(i == 0 ? 0 : i - 1);
    rank[i] = i + 1 < len ? t.lookup(p + i, 2) : kNoRank;
    if (rank[i] != kNoRank) heap.push({rank[i], static_cast<uint32_t>(i)});
  }
  auto pair_rank = [&](uint32_t i) -> uint32_t {
    const uint32_t j = next[i];
    if (j >= len) return kNoRank;
    const uint32_t k = next[j];
    return t.lookup(p + i, k - i);
  };
  while (!heap.empty()) {
    const Entry e = heap.top();
    heap.pop();
    const uint32_t i = e.start;
    if (!alive[i] || rank[i] != e.rank) continue;  // stale entry
    const uint32_t j = next[i];
    alive[j] = 0;
    next[i] = next[j];
    if (next[i] < len) prev[next[i]] = i;
    rank[i] = pair_rank(i);
    if (rank[i] != kNoRank) heap.push({rank[i], i});
    if (i > 0) {
      const uint32_t h = prev[i];
      rank[h] = pair_rank(h);
      if (rank[h] != kNoRank) heap.push({rank[h], h});
    }
  }
  for (uint32_t i = 0; i < len; i = next[i]) emit(i, next[i]);
}

template <typename Emit>
void merge(const RankTable &t, const unsigned char *p, size_t len, Emit &&emit) {
  if (len <= kSmallPiece)
    merge_small(t, p, len, emit);
  else
    merge_large(t, p, len, emit);
}

}  // namespace

void bpe_encode(const RankTable &t, const unsigned char *p, size_t len, std::vector<uint32_t> &out) {
  if (len == 1) {
    out.push_back(t.byte_rank(p[0]));
    return;
  }
  const uint32_t whole = t.lookup(p, len);
  if (whole != kNoRank) {
    out.push_back(whole);
    return;
  }
  merge(t, p, len, [&](uint32_t a, uint32_t b) { out.push_back(t.lookup(p + a, b - a)); });
}

size_t bpe_count(const RankTable &t, const unsigned char *p, size_t len) {
  if (len == 1 || t.lookup(p, len) != kNoRank) return 1;
  size_t n = 0;
  merge(t, p, len, [&](uint32_t, uint32_t) { ++n; });
  return n;
}

}  // namespace voxline::tokenizer::detail
