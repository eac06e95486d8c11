// Fuzz target for the TTS messages: any bytes decode into exactly one event without a crash, with
// counters that match it; and the same bytes as Speak text are either refused as INVALID_ARGUMENT
// (empty, invalid UTF-8, too long) or give a Speak message whose JSON parses back to exactly them,
// and split_speak_text cuts them into valid pieces that join back to them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
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

  // Split with a limit taken from the input: the pieces give back every byte, each fits the limit
  // and is itself a valid Speak text.
  const size_t max_chars = size == 0 ? 1 : 1 + data[0] % 64;
  const auto pieces = voxline::speech::split_speak_text(bytes, max_chars);
  std::string joined;
  for (std::string_view p : pieces) {
    if (p.empty()) std::abort();
    if (!voxline::speech::speak_message(p).ok()) std::abort();
    size_t chars = 0;
    for (char c : p) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (chars > max_chars) std::abort();
    joined += p;
  }
  if (joined != bytes) std::abort();
  return 0;
}
