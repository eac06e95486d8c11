// File: tts_options.hpp
// TtsOptions: the settings of one Deepgram streaming text-to-speech socket (`/v1/speak`),
// checked and turned into the exact upgrade URL, and into the URL of the REST fallback
// (POST /v1/speak with container=none, so raw bytes come back instead of a WAV file).
// Voice and format are fixed for the socket's life (query parameters of /v1/speak).
//
//   TtsOptions o;                                   // aura-2-thalia-en, mulaw 8 kHz
//   VOXLINE_ASSIGN_OR_RETURN(std::string url, tts_speak_url(o));
//   // wss://api.deepgram.com/v1/speak?model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000
//   VOXLINE_ASSIGN_OR_RETURN(std::string rest, tts_rest_url(o));
//   //
//   https://api.deepgram.com/v1/speak?model=aura-2-thalia-en&encoding=mulaw&sample_rate=8000&container=none
//
// Thread-safety: a plain value and pure functions.
#pragma once

#include <string>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/speech/audio_encoding.hpp"

namespace voxline::speech {

struct TtsOptions {
  // ws:// or wss:// (optionally with a path prefix); the REST fallback uses http:// or https://
  // on the same host.
  std::string base_url = "wss://api.deepgram.com";
  std::string model = "aura-2-thalia-en";  // the voice
  AudioEncoding encoding = AudioEncoding::kMulaw;
  int sample_rate = 8000;  // mulaw: 8000; linear16: 8000, 16000, 24000, 32000 or 48000
};

// OK, or INVALID_ARGUMENT naming the first setting Deepgram's TTS socket would refuse.
VOXLINE_API Status validate(const TtsOptions &options);

// The `/v1/speak` websocket URL. Validates first.
VOXLINE_API Result<std::string> tts_speak_url(const TtsOptions &options);

// The REST fallback's POST URL: the base URL with wss:// made https:// (ws:// made http://), the
// same parameters and container=none. Validates first.
VOXLINE_API Result<std::string> tts_rest_url(const TtsOptions &options);

}  // namespace voxline::speech
