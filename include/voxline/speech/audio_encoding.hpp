// File: audio_encoding.hpp
// AudioEncoding: the raw (headerless) audio formats voxline exchanges with Deepgram, and their
// query-parameter names. Both are mono; linear16 is little-endian signed 16-bit PCM, mulaw is
// ITU G.711 mu-law, one byte per sample (audio/g711.hpp converts between them).
//
//   AudioEncoding e = AudioEncoding::kMulaw;
//   encoding_name(e) == "mulaw"; bytes_per_sample(e) == 1
//
// Thread-safety: constants and pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace voxline::speech {

enum class AudioEncoding {
  kLinear16,  // PCM16 little-endian; Deepgram's "linear16"
  kMulaw,     // G.711 mu-law; Deepgram's "mulaw" (what Twilio sends and plays)
};

// The value of Deepgram's `encoding` query parameter.
constexpr std::string_view encoding_name(AudioEncoding e) noexcept {
  return e == AudioEncoding::kMulaw ? "mulaw" : "linear16";
}

constexpr size_t bytes_per_sample(AudioEncoding e) noexcept {
  return e == AudioEncoding::kMulaw ? 1 : 2;
}

}  // namespace voxline::speech
