// Fuzz target for SttMessageDecoder: any bytes give exactly one event and never a crash; the
// counters match the event; a decoded Results message, written back as canonical JSON, decodes to
// the same transcript; and the same bytes decode the same way twice.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "fuzz/speech_fuzz_checks.hpp"
#include "voxline/core/json.hpp"
#include "voxline/speech/stt_messages.hpp"

namespace {

using voxline::speech::SttEvent;
using voxline::speech::SttMessageDecoder;
using voxline::speech::SttTranscript;
using voxline::speech::SttWord;

std::string to_json(const SttTranscript &t) {
  using voxline::json::quote;
  std::string words;
  for (const SttWord &w : t.words) {
    if (!words.empty()) words += ',';
    words += fmt::format(R"({{"word":{},"start":{},"end":{},"confidence":{},"punctuated_word":{}}})",
                         quote(w.word), w.start, w.end, w.confidence, quote(w.punctuated_word));
  }
  return fmt::format(
      R"({{"type":"Results","channel_index":[{},1],"start":{},"duration":{},"is_final":{},"speech_final":{},)"
      R"("from_finalize":{},"channel":{{"alternatives":[{{"transcript":{},"confidence":{},"words":[{}]}}]}},)"
      R"("metadata":{{"request_id":{}}}}})",
      t.channel, t.start, t.duration, t.is_final, t.speech_final, t.from_finalize, quote(t.text),
      t.confidence, words, quote(t.request_id));
}

// RapidJSON's default number parsing may be a few ULP off, so reparsed doubles are compared loosely.
bool near(double a, double b) {
  return a == b || std::fabs(a - b) <= 1e-12 * std::max(std::fabs(a), std::fabs(b));
}

bool same_word(const SttWord &a, const SttWord &b) {
  return a.word == b.word && a.punctuated_word == b.punctuated_word && near(a.start, b.start) &&
         near(a.end, b.end) && near(a.confidence, b.confidence);
}

bool same(const SttTranscript &a, const SttTranscript &b) {
  if (a.text != b.text || a.is_final != b.is_final || a.speech_final != b.speech_final ||
      a.from_finalize != b.from_finalize || !near(a.confidence, b.confidence) || !near(a.start, b.start) ||
      !near(a.duration, b.duration) || a.channel != b.channel || a.request_id != b.request_id ||
      a.words.size() != b.words.size())
    return false;
  for (size_t i = 0; i < a.words.size(); ++i)
    if (!same_word(a.words[i], b.words[i])) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view frame(reinterpret_cast<const char *>(data), size);
  SttMessageDecoder decoder;
  const SttEvent ev = decoder.decode(frame);
  speech_fuzz::check_event_and_counters(ev, decoder.counters());

  SttMessageDecoder again;
  const SttEvent ev2 = again.decode(frame);
  if (ev2.index() != ev.index()) std::abort();

  if (const auto *t = std::get_if<SttTranscript>(&ev)) {
    if (!same(*t, std::get<SttTranscript>(ev2))) std::abort();
    SttMessageDecoder round;
    const SttEvent back = round.decode(to_json(*t));
    const auto *bt = std::get_if<SttTranscript>(&back);
    if (bt == nullptr || !same(*t, *bt)) std::abort();
  }
  return 0;
}
