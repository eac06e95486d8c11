// Internal: client websocket frames (RFC 6455 section 5.2) built in a WsBuffer's headroom.
//
// Why: lws_write() in libwebsockets 4.1 reads /dev/urandom for every frame's masking key (one
// read() syscall per message). WsConn frames each message itself, with a key from WsMaskSource,
// and writes the finished frame to its socket in one piece.
//
// Threads: the functions are pure. A WsMaskSource belongs to one thread (each SlotLoop owns one).
#pragma once

#include <cstddef>
#include <cstdint>

namespace voxline::detail {

// The largest client frame header: 2 bytes, a 64-bit length, the 4-byte masking key.
constexpr size_t kWsMaxClientHeader = 14;

// Masking keys from the kernel CSPRNG (getrandom), fetched 128 keys at a time.
class WsMaskSource {
 public:
  uint32_t next() noexcept;

 private:
  void refill() noexcept;
  uint32_t pool_[128];
  size_t next_ = 128;
  uint64_t fallback_ = 0;  // splitmix64 state, only if getrandom fails
};

// Writes the header of one final (FIN) masked frame with `len` payload bytes immediately before
// `payload` and masks the payload in place. Returns the header length (6, 8 or 14); the caller
// owns at least kWsMaxClientHeader writable bytes before `payload`.
size_t ws_frame_client_message(uint8_t *payload, size_t len, bool binary, uint32_t mask) noexcept;
// The same for any opcode (ping, pong, close: `len` at most 125 for those).
size_t ws_frame_client(uint8_t *payload, size_t len, uint8_t opcode, uint32_t mask) noexcept;

// XORs `len` bytes with the 4-byte key, starting at key byte 0: masks, and undoes a masking.
void ws_apply_mask(uint8_t *payload, size_t len, uint32_t mask) noexcept;

}  // namespace voxline::detail
