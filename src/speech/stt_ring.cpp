// The SPSC audio ring of SttStream (see stt_ring.hpp).
#include "speech/stt_ring.hpp"

#include <algorithm>
#include <cstring>

namespace voxline::speech {

SttAudioRing::SttAudioRing(size_t capacity, size_t sample_bytes, bool drop_oldest)
    : capacity_(capacity),
      physical_(drop_oldest ? 2 * capacity : capacity),
      sample_bytes_(std::max<size_t>(sample_bytes, 1)),
      drop_oldest_(drop_oldest),
      buf_(new uint8_t[physical_ == 0 ? 1 : physical_]) {}

void SttAudioRing::copy_in(uint64_t pos, const uint8_t *data, size_t n) noexcept {
  const size_t at = static_cast<size_t>(pos % physical_);
  const size_t first = std::min(n, physical_ - at);
  std::memcpy(buf_.get() + at, data, first);
  if (n > first) std::memcpy(buf_.get(), data + first, n - first);
}

void SttAudioRing::copy_out(uint64_t pos, uint8_t *out, size_t n) const noexcept {
  const size_t at = static_cast<size_t>(pos % physical_);
  const size_t first = std::min(n, physical_ - at);
  std::memcpy(out, buf_.get() + at, first);
  if (n > first) std::memcpy(out + first, buf_.get(), n - first);
}

bool SttAudioRing::push(const uint8_t *data, size_t n) noexcept {
  if (n == 0) return true;
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  const uint64_t head = head_.load(std::memory_order_acquire);  // the consumer is done with [.., head)
  const size_t used = static_cast<size_t>(tail - head);
  const size_t limit = drop_oldest_ ? physical_ : capacity_;
  if (n > capacity_ || used + n > limit) {
    dropped_.fetch_add(n, std::memory_order_relaxed);
    return false;
  }
  copy_in(tail, data, n);
  tail_.store(tail + n, std::memory_order_release);
  if (used + n > high_water_.load(std::memory_order_relaxed))
    high_water_.store(used + n, std::memory_order_relaxed);  // only the producer writes it
  return true;
}

size_t SttAudioRing::available() const noexcept {
  return static_cast<size_t>(tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_relaxed));
}

size_t SttAudioRing::trim() noexcept {
  if (!drop_oldest_) return 0;
  const uint64_t head = head_.load(std::memory_order_relaxed);
  const size_t avail = static_cast<size_t>(tail_.load(std::memory_order_acquire) - head);
  if (avail <= capacity_) return 0;
  size_t excess = avail - capacity_;
  excess = (excess + sample_bytes_ - 1) / sample_bytes_ * sample_bytes_;  // whole samples
  head_.store(head + excess, std::memory_order_release);
  dropped_.fetch_add(excess, std::memory_order_relaxed);
  return excess;
}

size_t SttAudioRing::read(uint8_t *out, size_t max) noexcept {
  const uint64_t head = head_.load(std::memory_order_relaxed);
  const size_t avail = static_cast<size_t>(tail_.load(std::memory_order_acquire) - head);
  size_t n = std::min(avail, max);
  n -= n % sample_bytes_;
  if (n == 0) return 0;
  copy_out(head, out, n);
  head_.store(head + n, std::memory_order_release);  // the producer may now reuse [head, head + n)
  return n;
}

size_t SttAudioRing::clear() noexcept {
  const uint64_t head = head_.load(std::memory_order_relaxed);
  const uint64_t tail = tail_.load(std::memory_order_acquire);
  head_.store(tail, std::memory_order_release);
  return static_cast<size_t>(tail - head);
}

}  // namespace voxline::speech
