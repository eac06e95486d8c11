// File: g711.hpp
// ITU-T G.711 mu-law <-> linear PCM16, table-driven, with the rounding of the ITU reference code
// (G.191 STL g711.c: a negative sample is compressed from its one's complement, so -1 and 0 both
// give a zero-level code), and 16-bit output scaling (0x00 -> -32124, 0x80 -> 32124).
// Mu-law silence is 0xFF (0x7F decodes to 0 as well). Telephone audio: 8000 samples/s, so a
// Twilio 20 ms frame is 160 bytes of mu-law and 160 samples (320 bytes) of PCM16.
//
//   uint8_t ulaw[160];  int16_t pcm[160];
//   VOXLINE_RETURN_IF_ERROR(mulaw_to_linear16(ulaw, 160, pcm, 160));
//   VOXLINE_RETURN_IF_ERROR(linear16_to_mulaw(pcm, 160, ulaw, 160));
//
// No allocation: the caller owns both buffers and passes their sizes. In place: decoding may
// read its bytes from the start of the output buffer (mulaw == (const uint8_t *)pcm), and
// encoding may write into the start of its input buffer (mulaw == (uint8_t *)pcm); any other
// overlap is undefined. Thread-safety: pure functions over constant tables; any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"

namespace voxline::speech {

inline constexpr uint8_t kMulawSilence = 0xFF;

// One sample.
VOXLINE_API int16_t mulaw_decode(uint8_t code) noexcept;
VOXLINE_API uint8_t mulaw_encode(int16_t sample) noexcept;

// Decodes `count` mu-law bytes into pcm[0, count). BUFFER_TOO_SMALL when pcm_capacity < count;
// INVALID_ARGUMENT for a NULL buffer with a non-zero count. Nothing is written on error.
VOXLINE_API Status mulaw_to_linear16(const uint8_t *mulaw, size_t count, int16_t *pcm, size_t pcm_capacity);

// Encodes `count` PCM16 samples into mulaw[0, count). Errors as for mulaw_to_linear16.
VOXLINE_API Status linear16_to_mulaw(const int16_t *pcm, size_t count, uint8_t *mulaw, size_t mulaw_capacity);

}  // namespace voxline::speech
