// File: stt_options.hpp
// SttOptions: the settings of one Deepgram live transcription socket (`/v1/listen`), checked
// and turned into the exact upgrade URL. Every setting is a query parameter fixed for the
// socket's life (query parameters of /v1/listen); the defaults suit a phone agent fed Twilio audio.
//
//   SttOptions o;                                   // nova-3, en, mulaw 8 kHz, interim results on
//   o.keyterms = {"VIN", "oil change"};
//   VOXLINE_ASSIGN_OR_RETURN(std::string url, stt_listen_url(o));
//   // wss://api.deepgram.com/v1/listen?model=nova-3&language=en&encoding=mulaw&sample_rate=8000
//   //   &channels=1&interim_results=true&endpointing=300&utterance_end_ms=1000&vad_events=true
//   //   &smart_format=true&keyterm=VIN&keyterm=oil%20change
//
// Thread-safety: a plain value and pure functions.
#pragma once

#include <string>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/speech/audio_encoding.hpp"

namespace voxline::speech {

struct SttOptions {
  std::string base_url = "wss://api.deepgram.com";  // ws:// or wss://, optionally with a path prefix
  std::string model = "nova-3";
  // BCP-47-ish tag ("en", "en-US", "es", "multi"). Always sent: with no language Deepgram
  // assumes English and silently returns near-empty text for other languages.
  std::string language = "en";
  AudioEncoding encoding = AudioEncoding::kMulaw;
  int sample_rate = 8000;  // Hz; mulaw only at 8000, linear16 8000-48000
  // Provisional results (is_final:false) about once a second while speech goes on; needed for
  // barge-in detection and required by utterance_end_ms.
  bool interim_results = true;
  // Silence (ms) after which Deepgram finalizes with speech_final:true; 0 sends endpointing=false.
  int endpointing_ms = 300;
  // Gap (ms, 1000-5000) after the last finalized word that produces an UtteranceEnd message;
  // 0 leaves it off. Needs interim_results.
  int utterance_end_ms = 1000;
  bool vad_events = true;    // SpeechStarted messages
  bool smart_format = true;  // punctuation, numbers, dates (adds punctuated_word to words)
  // Keyterm prompting (nova-3 models only, not with language "multi"): words or short phrases,
  // each sent as its own keyterm parameter.
  std::vector<std::string> keyterms;
};

// OK, or INVALID_ARGUMENT naming the first setting that Deepgram would refuse or that cannot work
// (e.g. utterance_end_ms without interim_results, keyterms on a nova-2 model, mulaw at 16 kHz).
VOXLINE_API Status validate(const SttOptions &options);

// The `/v1/listen` upgrade URL with every parameter percent-encoded, in the order of the example
// above (channels=1 always). Validates first; the errors are those of validate().
VOXLINE_API Result<std::string> stt_listen_url(const SttOptions &options);

}  // namespace voxline::speech
