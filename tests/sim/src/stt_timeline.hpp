// File: stt_timeline.hpp
// The script of one simulated STT connection, laid out on the audio clock before any audio
// arrives: the scenario's events and expanded utterances, sorted by the received-audio offset at
// which each falls due, with every word of every result timed (start/end ms of audio) and every
// result tied to the window it belongs to. The session (stt_session.cpp) then only decides what
// is still unsent: words already final are never sent again, and silence between windows is
// covered by empty finals. Thread-safety: plain values and a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/src/scenario.hpp"

namespace voxline::sim::detail {

struct TimedWord {
  std::string word;        // lower-case, without punctuation
  std::string punctuated;  // as scripted
  int64_t start_ms = 0, end_ms = 0;
};

enum class TimedKind {
  kSpeechStarted,
  kInterim,
  kFinal,
  kUtteranceEnd,
  kSilence,  // audio reached a window's start: an empty final covers the silence before it
};

struct TimedEvent {
  TimedKind kind = TimedKind::kInterim;
  int64_t at_ms = 0;             // received audio (ms) at which it is due
  int64_t window_start_ms = 0;   // interim/final/silence: where its window starts (results of one
                                 // window share it; a Finalize may move it later)
  std::vector<TimedWord> words;  // interim/final, in order, timed on the connection's audio clock
  bool speech_final = false;
  double confidence = 0.95;
  int64_t last_word_end_ms = -1;  // UtteranceEnd: its last word's end; -1 = the last word sent final
};

// What the client asked for at the handshake that changes the timeline.
struct TimelineParams {
  bool endpointing_enabled = true;
  int64_t endpointing_ms = 10;
  int64_t utterance_end_ms = -1;  // -1 = UtteranceEnd off
};

// The words of `text` split at spaces, timed evenly over [start_ms, end_ms].
std::vector<TimedWord> timed_words(const std::string &text, int64_t start_ms, int64_t end_ms);

// Scripted events and utterances on one timeline, sorted by at_ms (stable: at equal times,
// finals before interims, silence last). Utterance words are timed over [start_ms, end_ms] (speech
// ends where the utterance ends, not after the endpointing silence); a scripted final's words
// over [its window start, end_ms or at_ms], an interim's over [the window start of the final it
// precedes, end_ms or at_ms].
std::vector<TimedEvent> build_timeline(const SttScript &script, const TimelineParams &params);

}  // namespace voxline::sim::detail
