// File: g711.hpp
// ITU-T G.711 mu-law and A-law <-> linear PCM16, table-driven: one lookup per sample each way.
// Rounding is the ITU reference code's (G.191 STL g711.c): the 16-bit sample is truncated to the
// law's grid (14 bits for mu-law, 13 for A-law; a negative sample through its one's complement,
// so -1 and 0 both give a zero-level code), and the code is the decision interval it falls in.
// Output scaling is 16-bit: mu-law 0x00 -> -32124 and 0x80 -> 32124, A-law 0x2A -> -32256 and
// 0xAA -> 32256. Silence is 0xFF in mu-law (0x7F decodes to 0 as well) and 0xD5 in A-law (0x55
// decodes to -8). Decoding matches SoX bit for bit. SoX's encoders round to the grid instead of
// truncating, which moves each decision threshold 2 (mu-law) or 4 (A-law) steps of 16-bit input
// toward zero: 510 of the 65536 inputs (1020 for A-law) get the next level out from SoX, almost
// always with a larger error than ours (tests/unit/audio/g711_test.cpp checks it for every input).
// Telephone audio: 8000 samples/s, so a Twilio 20 ms frame is 160 bytes of mu-law and 160 samples
// (320 bytes) of PCM16.
//
//   uint8_t ulaw[160];  int16_t pcm[160];
//   VOXLINE_RETURN_IF_ERROR(mulaw_to_linear16(ulaw, 160, pcm, 160));
//   VOXLINE_RETURN_IF_ERROR(linear16_to_alaw(pcm, 160, ulaw, 160));
//
// No allocation: the caller owns both buffers and passes their sizes. In place: decoding may
// read its bytes from the start of the output buffer (code == (const uint8_t *)pcm), and
// encoding may write into the start of its input buffer (code == (uint8_t *)pcm); any other
// overlap is undefined. Thread-safety: pure functions over constant tables; any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"

namespace voxline::audio {

inline constexpr uint8_t kMulawSilence = 0xFF;
inline constexpr uint8_t kAlawSilence = 0xD5;

// One sample.
VOXLINE_API int16_t mulaw_decode(uint8_t code) noexcept;
VOXLINE_API uint8_t mulaw_encode(int16_t sample) noexcept;
VOXLINE_API int16_t alaw_decode(uint8_t code) noexcept;
VOXLINE_API uint8_t alaw_encode(int16_t sample) noexcept;

// Decodes `count` mu-law bytes into pcm[0, count). BUFFER_TOO_SMALL when pcm_capacity < count;
// INVALID_ARGUMENT for a NULL buffer with a non-zero count. Nothing is written on error.
VOXLINE_API Status mulaw_to_linear16(const uint8_t *mulaw, size_t count, int16_t *pcm, size_t pcm_capacity);

// Encodes `count` PCM16 samples into mulaw[0, count). Errors as for mulaw_to_linear16.
VOXLINE_API Status linear16_to_mulaw(const int16_t *pcm, size_t count, uint8_t *mulaw, size_t mulaw_capacity);

// The same two for A-law, with the same errors and in-place rules.
VOXLINE_API Status alaw_to_linear16(const uint8_t *alaw, size_t count, int16_t *pcm, size_t pcm_capacity);
VOXLINE_API Status linear16_to_alaw(const int16_t *pcm, size_t count, uint8_t *alaw, size_t alaw_capacity);

}  // namespace voxline::audio
