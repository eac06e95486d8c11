// File: stt_messages.hpp
// The text frames of Deepgram's live transcription socket (control and server text frames): server
// messages decoded into typed events, and the control messages the client sends. No I/O: the
// stream feeds each received text frame to SttMessageDecoder::decode and sends the strings below
// as text frames (never binary: a binary KeepAlive confuses the server).
//
//   SttMessageDecoder decoder;
//   SttEvent ev = decoder.decode(frame_text);
//   if (const auto *t = std::get_if<SttTranscript>(&ev)) {
//     if (t->is_final) finals.push_back(t->text);
//   } else if (const auto *e = std::get_if<ServerError>(&ev)) {
//     report(e->status);                       // a malformed frame or Deepgram's Error
//   }
//   conn.send_control_text(finalize_message());
//
// Decoding never throws and never crashes on any input: a frame that is not JSON, has no "type",
// or lacks a required field of a known type gives a ServerError of origin kMalformed; an unknown
// type gives UnknownMessage. Required fields: Results needs channel.alternatives (the first
// alternative is used; an empty list is an empty transcript) with its transcript; each word needs
// word, start and end; SpeechStarted needs timestamp; UtteranceEnd needs last_word_end. Other
// fields default when absent but must have the right type when present; numbers must be finite.
// Ownership: events own their strings. Thread-safety: one thread at a time per decoder.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/speech/server_message.hpp"

namespace voxline::speech {

// Times are seconds since the first audio byte of this connection (they restart at 0 on a
// reconnect; the stream re-bases them).
struct SttWord {
  std::string word;             // lower-case, unpunctuated
  std::string punctuated_word;  // with smart_format/punctuate; equal to word when absent
  double start = 0;
  double end = 0;
  double confidence = 0;
};

// A Results message.
struct SttTranscript {
  std::string text;            // the first alternative's transcript; "" during silence (normal)
  bool is_final = false;       // the text of [start, start + duration] is frozen
  bool speech_final = false;   // an endpoint follows this result
  bool from_finalize = false;  // produced by a client Finalize
  double confidence = 0;
  double start = 0;  // the audio window this result covers
  double duration = 0;
  int channel = 0;  // channel_index[0]
  std::vector<SttWord> words;
  std::string request_id;  // metadata.request_id, "" when absent
};

struct SttSpeechStarted {  // with vad_events
  double timestamp = 0;
  int channel = 0;
};

struct SttUtteranceEnd {  // with utterance_end_ms
  double last_word_end = 0;
  int channel = 0;
};

// The summary sent after CloseStream (or when the server ends the stream).
struct SttMetadata {
  std::string request_id;
  std::string created;  // ISO-8601 UTC
  double duration = 0;  // seconds of audio received
  int channels = 0;
};

using SttEvent = std::variant<SttTranscript, SttSpeechStarted, SttUtteranceEnd, SttMetadata, ServerError,
                              ServerWarning, UnknownMessage>;

class VOXLINE_API SttMessageDecoder {
 public:
  // Decodes one text frame. Frames over 1 MiB are refused as malformed.
  SttEvent decode(std::string_view frame);
  const DecodeCounters &counters() const noexcept { return counters_; }

 private:
  DecodeCounters counters_;
};

// Client control messages (text frames).
inline constexpr std::string_view kSttKeepAlive = R"({"type":"KeepAlive"})";
inline constexpr std::string_view kSttCloseStream = R"({"type":"CloseStream"})";
// {"type":"Finalize"}, or {"type":"Finalize","channel":N} to flush one channel only.
VOXLINE_API std::string finalize_message(std::optional<int> channel = std::nullopt);

}  // namespace voxline::speech
