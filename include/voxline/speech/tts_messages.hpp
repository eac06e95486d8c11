// File: tts_messages.hpp
// The text frames of Deepgram's streaming text-to-speech socket (client and server text frames): the
// client messages Speak / Flush / Clear / Close, and the server messages decoded into typed
// events. No I/O: audio arrives as binary frames and never passes through here.
//
//   VOXLINE_ASSIGN_OR_RETURN(std::string speak, speak_message("Your car is ready."));
//   conn.send_text(speak); conn.send_text(kTtsFlush);
//   TtsMessageDecoder decoder;
//   TtsEvent ev = decoder.decode(frame_text);
//   if (const auto *f = std::get_if<TtsFlushed>(&ev)) complete_segment(f->sequence_id);
//
// Decoding never throws and never crashes on any input: a frame that is not JSON, has no "type",
// or has a mistyped field of a known type gives a ServerError of origin kMalformed; an unknown
// type gives UnknownMessage. An Error from Deepgram is fatal for the socket.
// Ownership: events and messages own their strings. Thread-safety: one thread at a time per decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/speech/server_message.hpp"

namespace voxline::speech {

// Deepgram's model input limit per Speak message, in characters (Unicode code points).
inline constexpr size_t kMaxSpeakChars = 2000;

// {"type":"Speak","text":"..."} with `text` escaped as a JSON string. Texts are concatenated by the
// server as sent, so include the spaces between pieces yourself. INVALID_ARGUMENT when `text` is
// empty, is not valid UTF-8, or is longer than kMaxSpeakChars (split it first).
VOXLINE_API Result<std::string> speak_message(std::string_view text);

// Cuts `text` into pieces of at most `max_chars` characters (Unicode code points; 0 counts as 1)
// for one Speak message each. The pieces concatenate to exactly `text`, so the server hears the
// same text; each cut falls after the last sentence end in the window (. ! ? ; or : followed by
// white space, which stays with the sentence), else after the last white space, else at a
// character boundary (never inside a UTF-8 sequence). Views point into `text`.
VOXLINE_API std::vector<std::string_view> split_speak_text(std::string_view text,
                                                           size_t max_chars = kMaxSpeakChars);

inline constexpr std::string_view kTtsFlush = R"({"type":"Flush"})";  // reply: Flushed
inline constexpr std::string_view kTtsClear = R"({"type":"Clear"})";  // reply: Cleared (never "Reset")
inline constexpr std::string_view kTtsClose = R"({"type":"Close"})";

// All audio for the text flushed so far has been sent.
struct TtsFlushed {
  std::optional<int64_t> sequence_id;  // absent only from servers that omit it
};

// No audio from before the Clear follows.
struct TtsCleared {
  std::optional<int64_t> sequence_id;
};

struct TtsMetadata {
  std::string request_id;
  std::string model_name;
  std::string model_version;
  std::string model_uuid;
};

using TtsEvent =
    std::variant<TtsFlushed, TtsCleared, TtsMetadata, ServerError, ServerWarning, UnknownMessage>;

class VOXLINE_API TtsMessageDecoder {
 public:
  // Decodes one text frame. Frames over 1 MiB are refused as malformed.
  TtsEvent decode(std::string_view frame);
  const DecodeCounters &counters() const noexcept { return counters_; }

 private:
  DecodeCounters counters_;
};

}  // namespace voxline::speech
