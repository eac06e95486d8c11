// Fuzz target for the TTS messages: any bytes decode into exactly one event without a crash, with
// counters that match it; and the same bytes as Speak text are either refused as INVALID_ARGUMENT
// (empty, invalid UTF-8, too long) or give a Speak message whose JSON parses back to exactly them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz/speech_fuzz_checks.hpp"
#include "voxline/core/json.hpp"
#include "voxline/speech/tts_messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char *>(data), size);
  voxline::speech::TtsMessageDecoder decoder;
  const voxline::speech::TtsEvent ev = decoder.decode(bytes);
  speech_fuzz::check_event_and_counters(ev, decoder.counters());

  const auto speak = voxline::speech::speak_message(bytes);
  if (!speak.ok()) {
    if (speak.status().code() != voxline::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  auto doc = voxline::json::parse(*speak);
  if (!doc.ok()) std::abort();
  auto type = voxline::json::get_string(*doc, "type");
  auto text = voxline::json::get_string(*doc, "text");
  if (!type.ok() || *type != "Speak" || !text.ok() || *text != bytes) std::abort();
  if (doc->MemberCount() != 2) std::abort();
  return 0;
}
