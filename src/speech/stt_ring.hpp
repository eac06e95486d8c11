// SttAudioRing: the bounded byte ring between the producer of an SttStream's audio (push_audio,
// one thread at a time) and the slot thread that drains it on each coalescing tick. Lock-free
// single-producer / single-consumer: the producer owns tail_, the consumer owns head_, each
// publishes with release and reads the other's with acquire; no byte is ever written while the
// consumer may read it. Nothing allocates after construction.
//
// Overflow: drop-newest refuses a frame that does not fit `capacity`. Drop-oldest must discard
// bytes the consumer owns, so the ring allocates twice `capacity`: the producer stores as long as
// that physical space lasts, and the consumer trims the oldest bytes beyond `capacity` before it
// reads (trim()). Only when the slot has not drained for a whole extra capacity does drop-oldest
// refuse the newest frame too. Every dropped byte is counted.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace voxline::speech {

class SttAudioRing {
 public:
  // `capacity` bytes of audio (> 0, a multiple of `sample_bytes`).
  SttAudioRing(size_t capacity, size_t sample_bytes, bool drop_oldest);
  SttAudioRing(const SttAudioRing &) = delete;
  SttAudioRing &operator=(const SttAudioRing &) = delete;

  // Producer. Copies `n` bytes (a multiple of sample_bytes, at most capacity()) in, or none:
  // returns false when the frame was dropped for lack of room.
  bool push(const uint8_t *data, size_t n) noexcept;

  // Consumer. Bytes waiting.
  size_t available() const noexcept;
  // Consumer. Drop-oldest: discards the oldest bytes beyond capacity(); returns how many.
  size_t trim() noexcept;
  // Consumer. Moves up to `max` waiting bytes (rounded down to whole samples) into `out`.
  size_t read(uint8_t *out, size_t max) noexcept;
  // Consumer. Discards everything waiting; returns how many bytes.
  size_t clear() noexcept;

  size_t capacity() const noexcept { return capacity_; }
  bool drop_oldest() const noexcept { return drop_oldest_; }
  // Most bytes ever waiting at once (seen by the producer after a push). Any thread.
  size_t high_water() const noexcept { return high_water_.load(std::memory_order_relaxed); }
  // Bytes dropped so far, by either side. Any thread.
  uint64_t dropped_bytes() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  void copy_in(uint64_t pos, const uint8_t *data, size_t n) noexcept;
  void copy_out(uint64_t pos, uint8_t *out, size_t n) const noexcept;

  const size_t capacity_;
  const size_t physical_;
  const size_t sample_bytes_;
  const bool drop_oldest_;
  std::unique_ptr<uint8_t[]> buf_;
  alignas(64) std::atomic<uint64_t> head_{0};  // consumer: next byte to read
  alignas(64) std::atomic<uint64_t> tail_{0};  // producer: next byte to write
  alignas(64) std::atomic<size_t> high_water_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace voxline::speech
