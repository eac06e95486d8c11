// The replay buffer of SttStream (see stt_replay.hpp).
#include "speech/stt_replay.hpp"

#include <algorithm>
#include <cstring>

namespace voxline::speech {

SttReplayBuffer::SttReplayBuffer(size_t capacity)
    : capacity_(capacity), buf_(new uint8_t[capacity == 0 ? 1 : capacity]) {}

void SttReplayBuffer::append(const uint8_t *data, size_t n) noexcept {
  if (capacity_ == 0) {
    end_ += n;
    return;
  }
  if (n >= capacity_) {  // only the newest capacity_ bytes can be kept
    data += n - capacity_;
    end_ += n - capacity_;
    n = capacity_;
  }
  const size_t at = static_cast<size_t>(end_ % capacity_);
  const size_t first = std::min(n, capacity_ - at);
  std::memcpy(buf_.get() + at, data, first);
  if (n > first) std::memcpy(buf_.get(), data + first, n - first);
  end_ += n;
  size_ = std::min(capacity_, size_ + n);
}

bool SttReplayBuffer::copy(uint64_t from, size_t n, uint8_t *out) const noexcept {
  if (from < begin() || from + n > end_ || from + n < from) return false;
  if (n == 0) return true;
  const size_t at = static_cast<size_t>(from % capacity_);
  const size_t first = std::min(n, capacity_ - at);
  std::memcpy(out, buf_.get() + at, first);
  if (n > first) std::memcpy(out + first, buf_.get(), n - first);
  return true;
}

}  // namespace voxline::speech
