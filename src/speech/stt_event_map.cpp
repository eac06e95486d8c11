// Re-basing and close classification for SttStream (see stt_event_map.hpp).
#include "speech/stt_event_map.hpp"

#include <algorithm>
#include <cmath>

#include "voxline/net/retry_policy.hpp"
#include "voxline/speech/deepgram_close.hpp"
#include "voxline/speech/server_message.hpp"

namespace voxline::speech {

uint64_t SttAudioClock::bytes(double s) const noexcept {
  if (!(s > 0) || !std::isfinite(s)) return 0;
  const double samples =
      std::round(s * static_cast<double>(bytes_per_second) / static_cast<double>(sample_bytes));
  if (samples >= 9e15) return UINT64_MAX / 2;
  return static_cast<uint64_t>(samples) * sample_bytes;
}

void rebase(SttTranscript &t, double offset_s) noexcept {
  t.start += offset_s;
  for (SttWord &w : t.words) {
    w.start += offset_s;
    w.end += offset_s;
  }
}

void rebase(SttSpeechStarted &e, double offset_s) noexcept {
  e.timestamp += offset_s;
}

void rebase(SttUtteranceEnd &e, double offset_s) noexcept {
  e.last_word_end += offset_s;
}

uint64_t final_end_offset(const SttTranscript &local, uint64_t connection_base, uint64_t sent,
                          const SttAudioClock &clock) noexcept {
  const uint64_t end = connection_base + clock.bytes(local.start + local.duration);
  return std::clamp(end, connection_base, std::max(connection_base, sent));
}

Status server_close_status(int code, std::string_view reason, bool expected) {
  if (code == 1000 && !expected)
    return unavailable("Deepgram closed the stream (1000) although no CloseStream was sent");
  return status_from_deepgram_close(code, reason);
}

bool is_deepgram_timeout(int code, std::string_view reason) {
  return code == 1011 && find_payload_id(reason).rfind("NET-", 0) == 0;
}

bool is_reconnectable(const Status &cause) noexcept {
  return is_transient(cause);
}

}  // namespace voxline::speech
