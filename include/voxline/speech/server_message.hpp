// File: server_message.hpp
// What the Deepgram STT and TTS sockets share in their server messages: the Error and Warning
// events, the event for a message type voxline does not know, and the counters every decoder
// keeps. The decoders themselves are in stt_messages.hpp and tts_messages.hpp.
//
//   if (const auto *e = std::get_if<ServerError>(&event)) {
//     if (e->origin == ServerError::Origin::kMalformed) ...   // a frame we could not decode
//     log(e->status.to_string());                            // "INVALID_ARGUMENT: Deepgram error: DATA-0000:
//     ..."
//   }
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"

namespace voxline::speech {

// A {"type":"Error"} from Deepgram, or a text frame that could not be decoded. Never thrown:
// decoders return it as an event.
struct ServerError {
  enum class Origin {
    kServer,     // Deepgram sent an Error message (fatal for the socket)
    kMalformed,  // not JSON, no "type", or a known type with missing or mistyped fields
  };
  Origin origin = Origin::kServer;
  // kMalformed: PROTOCOL_ERROR saying what was wrong. kServer: the code of the payload id
  // (status_for_payload_id) and Deepgram's text, redacted and cut (Status::from_external).
  Status status;
  std::string code;         // Deepgram's payload id ("DATA-0000", "MESSAGE-0000"), "" if none
  std::string description;  // Deepgram's text, as sent
};

// A non-fatal {"type":"Warning"}. Both spellings are read: code/description (the spec, pipecat)
// and warn_code/warn_msg (older SDKs, livekit).
struct ServerWarning {
  std::string code;
  std::string description;
};

// A JSON message whose "type" this version does not know: to be ignored (Deepgram may add types),
// but reported, so a renamed message does not vanish silently.
struct UnknownMessage {
  std::string type;
};

// Per-decoder counts, for metrics and tests.
struct DecodeCounters {
  uint64_t frames = 0;         // every decode() call
  uint64_t unknown_types = 0;  // UnknownMessage events
  uint64_t malformed = 0;      // ServerError events of origin kMalformed
  uint64_t server_errors = 0;  // ServerError events of origin kServer
  uint64_t warnings = 0;       // ServerWarning events
};

// The first Deepgram payload id in `text`, in its canonical form ("NET-0001"), or "" when there is
// none. Families DATA, NET, BIG and MESSAGE with exactly four digits are recognised in any case,
// with or without the dash, so both "DATA-0000" and a close reason ending in
// "https://dpgr.am/net0001" are found.
VOXLINE_API std::string find_payload_id(std::string_view text);

// The Status code for the payload id in `text` (find_payload_id): DATA: INVALID_ARGUMENT
// (undecodable audio or message); NET: UNAVAILABLE (network or timeout, worth a reconnect); BIG,
// MESSAGE or no id: PROTOCOL_ERROR (we sent something too large or malformed, or we cannot tell).
VOXLINE_API StatusCode status_for_payload_id(std::string_view text);

}  // namespace voxline::speech
