// Checks shared by the Deepgram message fuzzers (stt_messages, tts_messages): one frame decoded
// by a fresh decoder moves exactly the counter of the event it produced, errors explain
// themselves, and decoding is deterministic.
#pragma once

#include <cstdlib>
#include <string_view>
#include <variant>

#include "voxline/speech/server_message.hpp"

namespace speech_fuzz {

using voxline::speech::DecodeCounters;
using voxline::speech::ServerError;
using voxline::speech::ServerWarning;
using voxline::speech::UnknownMessage;

template <typename Event>
void check_event_and_counters(const Event &ev, const DecodeCounters &c) {
  if (c.frames != 1) std::abort();
  const auto *err = std::get_if<ServerError>(&ev);
  const bool malformed = err != nullptr && err->origin == ServerError::Origin::kMalformed;
  const bool server = err != nullptr && err->origin == ServerError::Origin::kServer;
  if (c.malformed != (malformed ? 1u : 0u)) std::abort();
  if (c.server_errors != (server ? 1u : 0u)) std::abort();
  if (c.warnings != (std::holds_alternative<ServerWarning>(ev) ? 1u : 0u)) std::abort();
  if (c.unknown_types != (std::holds_alternative<UnknownMessage>(ev) ? 1u : 0u)) std::abort();
  if (err != nullptr) {
    if (err->status.ok() || err->status.message().empty()) std::abort();
    if (malformed && err->status.code() != voxline::StatusCode::kProtocolError) std::abort();
    if (err->status.message().find('\n') != std::string_view::npos) std::abort();  // one log line
  }
}

}  // namespace speech_fuzz
