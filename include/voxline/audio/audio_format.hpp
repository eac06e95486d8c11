// File: audio_format.hpp
// AudioFormat: how a stream of raw (headerless, mono) audio bytes is encoded and at what rate.
// linear16 is little-endian signed 16-bit PCM; mulaw and alaw are ITU G.711, one byte per sample
// (audio/g711.hpp). The formats a voice agent meets: Twilio media streams carry mulaw at 8000 Hz;
// Deepgram listens to linear16 or mulaw at the rate it is told, and speaks linear16 (24000 Hz by
// default), mulaw or alaw.
//
//   AudioFormat twilio = kTwilioMulaw;                     // {kMulaw, 8000}
//   AudioFormat stt{SampleEncoding::kLinear16, 16000};
//   bytes_per_sample(stt.encoding) == 2
//
// Thread-safety: constants and pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace voxline::audio {

enum class SampleEncoding {
  kLinear16,  // PCM16 little-endian
  kMulaw,     // G.711 mu-law (North America, Japan; what Twilio sends and plays)
  kAlaw,      // G.711 A-law (Europe and most other telephone networks)
};

struct AudioFormat {
  SampleEncoding encoding = SampleEncoding::kLinear16;
  int sample_rate = 16000;  // Hz; conversions take 8000, 16000, 24000 and 48000
};

constexpr bool operator==(const AudioFormat &a, const AudioFormat &b) noexcept {
  return a.encoding == b.encoding && a.sample_rate == b.sample_rate;
}
constexpr bool operator!=(const AudioFormat &a, const AudioFormat &b) noexcept {
  return !(a == b);
}

inline constexpr AudioFormat kTwilioMulaw{SampleEncoding::kMulaw, 8000};

constexpr size_t bytes_per_sample(SampleEncoding e) noexcept {
  return e == SampleEncoding::kLinear16 ? 2 : 1;
}

// "linear16", "mulaw" or "alaw": Deepgram's names for them.
constexpr std::string_view encoding_name(SampleEncoding e) noexcept {
  switch (e) {
    case SampleEncoding::kMulaw: return "mulaw";
    case SampleEncoding::kAlaw: return "alaw";
    case SampleEncoding::kLinear16: break;
  }
  return "linear16";
}

}  // namespace voxline::audio
