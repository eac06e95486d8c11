// Client websocket frames and masking keys (see ws_frame.hpp).
#include "net/ws_frame.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace voxline::detail {

void WsMaskSource::refill() noexcept {
  auto *out = reinterpret_cast<uint8_t *>(pool_);
  size_t have = 0;
  while (have < sizeof pool_) {
    const ssize_t n = getrandom(out + have, sizeof pool_ - have, 0);
    if (n > 0) {
      have += static_cast<size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  if (have < sizeof pool_) {
    // No kernel CSPRNG (seccomp, ancient kernel): the key only has to defeat proxy cache
    // poisoning, so an unpredictable-enough generator seeded from the clock is the fallback.
    if (fallback_ == 0)
      fallback_ = static_cast<uint64_t>(std::time(nullptr)) ^ reinterpret_cast<uintptr_t>(this);
    for (size_t i = have / sizeof(uint32_t); i < sizeof pool_ / sizeof(uint32_t); ++i) {
      uint64_t z = (fallback_ += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      pool_[i] = static_cast<uint32_t>(z ^ (z >> 31));
    }
  }
  next_ = 0;
}

uint32_t WsMaskSource::next() noexcept {
  if (next_ == sizeof pool_ / sizeof(uint32_t)) refill();
  return pool_[next_++];
}

void ws_apply_mask(uint8_t *payload, size_t len, uint32_t mask) noexcept {
  uint8_t key[4];
  std::memcpy(key, &mask, 4);
  uint64_t key8;
  std::memcpy(&key8, key, 4);
  std::memcpy(reinterpret_cast<uint8_t *>(&key8) + 4, key, 4);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t v;
    std::memcpy(&v, payload + i, 8);
    v ^= key8;
    std::memcpy(payload + i, &v, 8);
  }
  for (; i < len; ++i) payload[i] ^= key[i & 3];  // i is a multiple of 8 here: key byte i % 4
}

size_t ws_frame_client_message(uint8_t *payload, size_t len, bool binary, uint32_t mask) noexcept {
  return ws_frame_client(payload, len, binary ? 0x2 : 0x1, mask);
}

size_t ws_frame_client(uint8_t *payload, size_t len, uint8_t opcode, uint32_t mask) noexcept {
  uint8_t head[kWsMaxClientHeader];
  size_t n = 0;
  head[n++] = static_cast<uint8_t>(0x80 | (opcode & 0x0F));  // FIN + opcode
  if (len < 126) {
    head[n++] = static_cast<uint8_t>(0x80 | len);
  } else if (len <= 0xFFFF) {
    head[n++] = 0x80 | 126;
    head[n++] = static_cast<uint8_t>(len >> 8);
    head[n++] = static_cast<uint8_t>(len);
  } else {
    head[n++] = 0x80 | 127;
    for (int shift = 56; shift >= 0; shift -= 8)
      head[n++] = static_cast<uint8_t>(static_cast<uint64_t>(len) >> shift);
  }
  std::memcpy(head + n, &mask, 4);
  n += 4;
  std::memcpy(payload - n, head, n);
  ws_apply_mask(payload, len, mask);
  return n;
}

}  // namespace voxline::detail
