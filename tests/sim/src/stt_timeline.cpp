// Lays a connection's STT script out on the audio clock: utterances expanded into SpeechStarted,
// interims, final pieces and UtteranceEnd; windows resolved so the results of one window share
// its start; words timed; silence markers where a window starts after the previous one ended.
#include "sim/src/stt_timeline.hpp"

#include <algorithm>
#include <cctype>

namespace voxline::sim::detail {
namespace {

// A timeline entry before its window and (for scripted events) its words are known.
struct Draft {
  TimedEvent ev;
  std::string text;        // scripted interim/final: words are timed once the window is known
  bool timed = false;      // words already timed (utterances)
  int64_t end_ms = -1;     // scripted interim/final: end of its speech (-1 = at_ms)
  bool has_start = false;  // window start given (scripted start_ms, or an utterance's first piece)
};

TimedKind kind_of(SttEventType t) {
  switch (t) {
    case SttEventType::kSpeechStarted: return TimedKind::kSpeechStarted;
    case SttEventType::kInterim: return TimedKind::kInterim;
    case SttEventType::kFinal: return TimedKind::kFinal;
    case SttEventType::kUtteranceEnd: return TimedKind::kUtteranceEnd;
  }
  return TimedKind::kInterim;
}

void expand_utterance(const SttUtterance &u, const TimelineParams &p, std::vector<Draft> &out) {
  Draft started;
  started.ev.kind = TimedKind::kSpeechStarted;
  started.ev.at_ms = u.start_ms;
  out.push_back(std::move(started));
  // Speech ends where the utterance ends: the endpointing silence delays the final, not the words.
  const std::vector<TimedWord> words = timed_words(u.text, u.start_ms, u.end_ms);
  const int64_t span = u.end_ms - u.start_ms;
  const int64_t pieces = std::min<int64_t>(u.pieces, std::max<size_t>(1, words.size()));
  size_t w = 0;
  int64_t piece_start = u.start_ms;
  for (int64_t k = 0; k < pieces; ++k) {
    Draft d;
    d.ev.kind = TimedKind::kFinal;
    const size_t upto = words.size() * static_cast<size_t>(k + 1) / static_cast<size_t>(pieces);
    d.ev.words.assign(words.begin() + static_cast<std::ptrdiff_t>(w),
                      words.begin() + static_cast<std::ptrdiff_t>(upto));
    w = upto;
    const bool last = k + 1 == pieces;
    d.ev.at_ms = last ? u.end_ms + (p.endpointing_enabled ? p.endpointing_ms : 0)
                      : u.start_ms + span * (k + 1) / pieces;
    d.ev.speech_final = last && u.speech_final && p.endpointing_enabled;
    d.ev.confidence = u.confidence;
    d.ev.window_start_ms = piece_start;
    d.has_start = true;
    d.timed = true;
    piece_start = d.ev.at_ms;
    out.push_back(std::move(d));
  }
  for (int64_t k = 1; k <= u.interims; ++k) {
    Draft d;
    d.ev.kind = TimedKind::kInterim;
    d.ev.at_ms = u.start_ms + span * k / (u.interims + 1);
    // The words heard by then; the session leaves out the ones already final.
    for (const TimedWord &tw : words)
      if (tw.end_ms <= d.ev.at_ms) d.ev.words.push_back(tw);
    if (d.ev.words.empty()) continue;
    d.ev.confidence = u.confidence * 0.9;
    d.timed = true;
    out.push_back(std::move(d));
  }
  if (u.utterance_end && p.utterance_end_ms >= 0) {
    Draft d;
    d.ev.kind = TimedKind::kUtteranceEnd;
    d.ev.at_ms = u.end_ms + p.utterance_end_ms;  // the gap is measured from the last word
    d.ev.last_word_end_ms = words.empty() ? -1 : words.back().end_ms;
    out.push_back(std::move(d));
  }
}

}  // namespace

std::vector<TimedWord> timed_words(const std::string &text, int64_t start_ms, int64_t end_ms) {
  std::vector<TimedWord> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) {
      TimedWord w;
      w.punctuated = text.substr(i, j - i);
      for (char c : w.punctuated) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '\'' || c == '-' ||
            (static_cast<unsigned char>(c) & 0x80) != 0)
          w.word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      words.push_back(std::move(w));
    }
    i = j;
  }
  const int64_t n = static_cast<int64_t>(words.size());
  const int64_t span = std::max<int64_t>(0, end_ms - start_ms);
  for (int64_t k = 0; k < n; ++k) {
    words[static_cast<size_t>(k)].start_ms = start_ms + span * k / n;
    words[static_cast<size_t>(k)].end_ms = start_ms + span * (k + 1) / n;
  }
  return words;
}

std::vector<TimedEvent> build_timeline(const SttScript &script, const TimelineParams &params) {
  std::vector<Draft> drafts;
  for (const SttEvent &e : script.events) {
    Draft d;
    d.ev.kind = kind_of(e.type);
    d.ev.at_ms = e.at_ms;
    d.ev.speech_final = e.speech_final;
    d.ev.confidence = e.confidence;
    d.text = e.text;
    d.end_ms = e.end_ms;
    d.has_start = e.start_ms >= 0;
    d.ev.window_start_ms = std::max<int64_t>(0, e.start_ms);
    drafts.push_back(std::move(d));
  }
  for (const SttUtterance &u : script.utterances) expand_utterance(u, params, drafts);
  std::stable_sort(drafts.begin(), drafts.end(),
                   [](const Draft &a, const Draft &b) { return a.ev.at_ms < b.ev.at_ms; });

  // Windows: a final without a start continues where the previous final ended; an interim
  // belongs to the next final's window (when that window has begun by the interim's time).
  std::vector<int64_t> prev_end(drafts.size(), 0);  // end of the previous final, per entry
  int64_t end = 0;
  for (size_t i = 0; i < drafts.size(); ++i) {
    prev_end[i] = end;
    Draft &d = drafts[i];
    if (d.ev.kind != TimedKind::kFinal) continue;
    if (!d.has_start) d.ev.window_start_ms = end;
    end = d.ev.at_ms;
  }
  const Draft *next_final = nullptr;
  for (size_t i = drafts.size(); i-- > 0;) {
    Draft &d = drafts[i];
    if (d.ev.kind == TimedKind::kFinal) {
      next_final = &d;
    } else if (d.ev.kind == TimedKind::kInterim && !d.has_start) {
      const bool joins = next_final != nullptr && next_final->ev.window_start_ms <= d.ev.at_ms;
      d.ev.window_start_ms = joins ? next_final->ev.window_start_ms : prev_end[i];
    }
  }

  std::vector<TimedEvent> out;
  std::vector<int64_t> silences;  // window starts that leave audio uncovered before them
  out.reserve(drafts.size());
  for (size_t i = 0; i < drafts.size(); ++i) {
    Draft &d = drafts[i];
    const bool result = d.ev.kind == TimedKind::kInterim || d.ev.kind == TimedKind::kFinal;
    if (result && !d.timed) {
      const int64_t speech_end = d.end_ms >= 0 ? d.end_ms : d.ev.at_ms;
      d.ev.words = timed_words(d.text, d.ev.window_start_ms, std::max(speech_end, d.ev.window_start_ms));
    }
    if (result && d.ev.window_start_ms > prev_end[i] &&
        std::find(silences.begin(), silences.end(), d.ev.window_start_ms) == silences.end())
      silences.push_back(d.ev.window_start_ms);
    out.push_back(std::move(d.ev));
  }
  for (int64_t s : silences) {
    TimedEvent e;
    e.kind = TimedKind::kSilence;
    e.at_ms = s;
    e.window_start_ms = s;
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const TimedEvent &a, const TimedEvent &b) { return a.at_ms < b.at_ms; });
  return out;
}

}  // namespace voxline::sim::detail
