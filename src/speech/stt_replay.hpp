// SttReplayBuffer: the last `capacity` bytes of audio an SttStream handed to its connection, each
// at its offset on the stream's clock (every audio byte the stream sent once, from 0). After an
// unexpected drop the stream re-sends what Deepgram had not finalized from here. Slot thread only;
// nothing allocates after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace voxline::speech {

class SttReplayBuffer {
 public:
  explicit SttReplayBuffer(size_t capacity);
  SttReplayBuffer(const SttReplayBuffer &) = delete;
  SttReplayBuffer &operator=(const SttReplayBuffer &) = delete;

  // Appends `n` bytes at offset end(); the oldest bytes beyond capacity() are forgotten.
  void append(const uint8_t *data, size_t n) noexcept;
  // Offset just past the last byte appended (the stream's audio bytes sent so far).
  uint64_t end() const noexcept { return end_; }
  // Offset of the oldest byte still held.
  uint64_t begin() const noexcept { return end_ - size_; }
  size_t size() const noexcept { return size_; }
  size_t capacity() const noexcept { return capacity_; }
  // Copies the bytes at offsets [from, from + n) into `out`; false (nothing copied) when that range
  // is not held entirely.
  bool copy(uint64_t from, size_t n, uint8_t *out) const noexcept;

 private:
  const size_t capacity_;
  std::unique_ptr<uint8_t[]> buf_;
  uint64_t end_ = 0;
  size_t size_ = 0;
};

}  // namespace voxline::speech
