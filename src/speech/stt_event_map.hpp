// What SttStream does to Deepgram's messages and closes before the owner sees them, without I/O:
// times moved from one connection's clock (0 at its first byte) onto the stream clock, the audio
// a final result frees from replay, and the Status and fate of a connection's end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "voxline/core/status.hpp"
#include "voxline/speech/stt_messages.hpp"

namespace voxline::speech {

// Audio format arithmetic of one stream (mono).
struct SttAudioClock {
  uint64_t bytes_per_second = 0;
  size_t sample_bytes = 1;

  double seconds(uint64_t bytes) const noexcept {
    return bytes_per_second == 0 ? 0 : static_cast<double>(bytes) / static_cast<double>(bytes_per_second);
  }
  // Bytes of `s` seconds of audio, rounded to the nearest whole sample; 0 for negative or NaN times.
  uint64_t bytes(double s) const noexcept;
};

// Adds `offset_s` to every time in the event.
void rebase(SttTranscript &t, double offset_s) noexcept;
void rebase(SttSpeechStarted &e, double offset_s) noexcept;
void rebase(SttUtteranceEnd &e, double offset_s) noexcept;

// The stream-clock byte offset where the final result `local` (times still on its connection's
// clock) ends: Deepgram has frozen the text of all audio before it. `connection_base` is the
// stream offset of the connection's first byte; the result is clamped to [connection_base, sent].
uint64_t final_end_offset(const SttTranscript &local, uint64_t connection_base, uint64_t sent,
                          const SttAudioClock &clock) noexcept;

// The Status of a close frame the server started. `expected`: the stream had sent CloseStream, so
// 1000 is the normal end; otherwise 1000 is Deepgram ending the stream on its own (UNAVAILABLE: worth
// a reconnect). Other codes: status_from_deepgram_close.
Status server_close_status(int code, std::string_view reason, bool expected);

// True for Deepgram's timeout closes (1011 with a NET-* payload id in the reason).
bool is_deepgram_timeout(int code, std::string_view reason);

// True when a new connection may fix `cause` (transient: UNAVAILABLE, TIMEOUT, RATE_LIMITED).
bool is_reconnectable(const Status &cause) noexcept;

}  // namespace voxline::speech
