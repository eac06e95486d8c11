// File: tts_stream.hpp
// TtsStream: Deepgram streaming text-to-speech (`/v1/speak` websocket) on one Runtime slot, with a
// REST fallback (POST /v1/speak) when the websocket cannot be opened. Text goes in with speak();
// flush() closes a segment and returns its id; every audio chunk arrives tagged with the segment
// it belongs to, so the session knows which words the caller heard; clear() (barge-in) guarantees
// that no audio of the cleared segments reaches the handler after it returns.
//
//   TtsStreamOptions o;
//   o.auth = {DeepgramAuth::Scheme::kToken, key};
//   auto tts = TtsStream::create(slot, o, handler);      // starts connecting (TLS before turn 1)
//   // On the slot thread:
//   (*tts)->speak("Your car is ready. ");                // Result<segment id>
//   Result<uint64_t> seg = (*tts)->flush();               // the segment's audio is synthesised
//   (*tts)->clear();                                      // barge-in: nothing more of it arrives
//   (*tts)->ack_audio(n);                                 // host thread: n bytes played or dropped
//   (*tts)->close();                                      // pending segments play out, on_closed
//
// Segments: a segment opens with the first speak() after a flush (or a clear) and ends with
// flush(). Audio of a segment arrives between its first text and its on_flushed event, which
// says that all of its audio has been delivered; segments complete in order. Deepgram's replies
// (Flushed, Cleared) come in request order; each is matched with the oldest request of its kind
// and its sequence_id checked against the reply count on the connection (one counter shared by
// Flushed and Cleared, from 0, as voxline-sim numbers them; Deepgram leaves the rule
// undocumented), a mismatch giving a warning, never a wrong attribution.
// Clear: audio still in flight from Deepgram is dropped locally at once (the socket is ordered:
// everything between Clear and Cleared predates the Clear); text and Flushes not yet written are
// discarded; Clear overtakes them on the priority lane. on_cleared follows when Deepgram confirms,
// or on the next loop turn when nothing reached Deepgram (REST mode, where the request is
// cancelled; a socket still connecting; nothing pending), or when the connection is dropped
// (a clear deadline that expired).
// Deadlines (TtsDeadlines): open (connect + handshake), speak (a flushed segment's first audio),
// flush (the longest gap in a flushed segment's audio, up to its Flushed), clear (Clear ->
// Cleared), close (close() -> connection down). Expiry of speak, flush or clear is an error
// event (TIMEOUT, with the segments that will get no more audio) and a metric; the connection
// is then dropped and the stream RECOVERS: the next speak() opens a new one. A dropped link is
// handled the same way. After max_consecutive_failures such failures in a row (a segment that
// completes resets the count), or on a failure no retry can fix (UNAUTHENTICATED, a refused
// parameter), the stream reports itself DEAD: an error event with fatal set, then on_closed.
// An open that fails or times out switches to the REST fallback (when enabled): the segments
// waiting for the socket, and the following ones, are synthesised one by one over REST until
// websocket_retry_after has passed; the websocket is then tried again at the next segment.
// Limits: text is split into Speak messages of at most kMaxSpeakChars (and at most the character
// budget). chars_per_minute and flushes_per_minute are sliding 60 s windows per stream (Deepgram
// drops a socket past its character budget and ignores Flushes past its flush budget). Text over
// the character budget is QUEUED (the slot's timers send it when the window allows) when it can
// go out within max_text_wait, else speak() refuses it with RATE_LIMITED (in REST mode each
// request waits for the budget instead). A flush() over the
// flush budget is REFUSED with RATE_LIMITED and changes nothing: the segment stays open, so the
// caller may speak more and flush later.
// Back-pressure: with back_pressure.max_unacked_bytes > 0 the host acknowledges audio it has
// played (or dropped) with ack_audio(); while more than that is unacknowledged the stream stops
// reading the websocket (pause_reading; Deepgram's audio waits in the kernel and on the server),
// and reads again at resume_unacked_bytes. Deadlines do not run while reading is paused. The
// REST fallback cannot pause (the runtime's HTTP streams have no pause); its audio per request is
// bounded by the 2000-character limit.
// Metrics (names resolved once per stream, in options.metrics or the global registry):
//   voxline_tts_time_to_first_audio_ms        histogram: Flush written (REST: request sent) to the
//                                             segment's first audio byte; 0 if audio came earlier
//   voxline_tts_audio_bytes_total{transport}  audio delivered (ws | rest); rate() gives bytes/s
//   voxline_tts_timeouts_total{op}            open | speak | flush | clear | close
//   voxline_tts_reconnects_total              websockets opened after the first
//   voxline_tts_rest_fallbacks_total          switches to REST after a failed open
//   voxline_tts_rest_requests_total           POST /v1/speak requests made
//   voxline_tts_clears_total                  clear() calls that cleared something
//   voxline_tts_cleared_audio_bytes_total     audio of cleared segments dropped locally
//   voxline_tts_segments_total{outcome}       flushed | cleared | failed
//   voxline_tts_read_pauses_total             pause_reading() for back-pressure
//   voxline_tts_unacked_audio_high_water_bytes gauge: most audio ever unacknowledged
//   voxline_tts_rate_limited_total{limit}     chars | flushes (refusals)
//   voxline_tts_text_waits_total              Speak messages delayed by the character budget
//   voxline_tts_sequence_mismatches_total     Flushed / Cleared whose sequence_id was unexpected
//   voxline_tts_errors_total{code}            error events
// Threading: every handler callback runs on the slot's thread, never inside the TtsStream call
// that caused it, never two at once. speak(), flush(), clear(), close(), state() and stats()
// must be called on the slot's thread (FAILED_PRECONDITION otherwise); create() and ack_audio()
// from any thread. Callbacks may call any TtsStream method.
// Lifetime: the caller owns the stream. Dropping the last reference aborts the connection and any
// REST request; no callback runs after that (one already running completes). The handler is
// dropped after on_closed. Views in callbacks are valid only during the call.
// Secrets: the credential never reaches a log line, an error message or a metric.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/clock.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"
#include "voxline/speech/deepgram_auth.hpp"
#include "voxline/speech/tts_options.hpp"

namespace voxline {
class MetricsRegistry;
class Slot;
}  // namespace voxline

namespace voxline::speech {

struct TtsDeadlines {
  Duration open = std::chrono::seconds(5);   // websocket connect + handshake
  Duration speak = std::chrono::seconds(5);  // a flushed segment's Flush written -> its first audio
  Duration flush = std::chrono::seconds(5);  // longest gap in a flushed segment's audio until Flushed
  Duration clear = std::chrono::seconds(2);  // Clear -> Cleared
  Duration close = std::chrono::seconds(5);  // close() -> connection down, pending audio included
};

struct TtsLimits {
  int64_t chars_per_minute = 2400;                   // Deepgram's per-socket budget; 0 = none
  int64_t flushes_per_minute = 20;                   // Deepgram's Flush budget; 0 = none
  Duration max_text_wait = std::chrono::seconds(3);  // longest a Speak may wait for the char budget
  size_t max_pending_text_bytes = 64u << 10;         // text held by the stream (waiting); more: QUEUE_FULL
  size_t max_pending_segments = 64;                  // segments not yet complete; more: QUEUE_FULL
};

struct TtsBackPressure {
  size_t max_unacked_bytes = 0;     // 0 = off: a chunk counts as acknowledged when on_audio returns
  size_t resume_unacked_bytes = 0;  // reading resumes at or below this (0 = max_unacked_bytes / 2)
};

struct TtsStreamOptions {
  TtsOptions tts;  // voice, encoding, sample rate, base URL (ws:// or wss://)
  DeepgramAuth auth;
  TtsDeadlines deadlines;
  TtsLimits limits;
  TtsBackPressure back_pressure;
  bool rest_fallback = true;  // POST /v1/speak when the websocket cannot be opened
  Duration websocket_retry_after = std::chrono::seconds(30);  // REST mode lasts at least this long
  int max_consecutive_failures = 3;    // recoverable failures in a row before the stream is dead
  MetricsRegistry *metrics = nullptr;  // nullptr = MetricsRegistry::global(); must outlive the stream
};

// One chunk of audio in the requested encoding and rate, mono, headerless. linear16 chunks always
// hold whole samples (an odd byte waits for the next chunk of the same segment).
class VOXLINE_API TtsAudio {
 public:
  TtsAudio(uint64_t segment, bool rest, std::string_view view, std::string *owned) noexcept
      : segment_(segment), rest_(rest), view_(view), owned_(owned) {}
  uint64_t segment() const noexcept { return segment_; }
  bool rest() const noexcept { return rest_; }  // came over the REST fallback
  std::string_view data() const noexcept { return owned_ != nullptr ? std::string_view(*owned_) : view_; }
  size_t size() const noexcept { return data().size(); }
  // Moves the bytes out: no copy for websocket audio (the message's own buffer); one copy for
  // REST audio (libcurl's buffer is transient). data() is empty afterwards.
  std::string take();

 private:
  uint64_t segment_;
  bool rest_;
  std::string_view view_;
  std::string *owned_;
};

// All audio of `segment` has been delivered.
struct TtsSegmentFlushed {
  uint64_t segment = 0;
  uint64_t audio_bytes = 0;
  Duration time_to_first_audio{};  // see voxline_tts_time_to_first_audio_ms
  bool rest = false;
};

// No audio of these segments follows (it stopped at clear()).
struct TtsSegmentsCleared {
  std::vector<uint64_t> segments;  // oldest first; may be empty (nothing was pending)
  bool by_server = false;          // Deepgram's Cleared confirmed it (else: cleared locally)
};

struct TtsStreamWarning {
  // Deepgram's code ("FLUSH_LIMIT"), or voxline's: SEQUENCE_ID (a reply numbered otherwise than
  // expected), STRAY_AUDIO (audio with no segment pending), LINK_CLOSED (Deepgram closed an idle
  // socket; the next speak() reconnects), UNEXPECTED_FLUSHED / UNEXPECTED_CLEARED, UNKNOWN_MESSAGE.
  std::string code;
  std::string description;
};

enum class TtsOp { kOpen, kSpeak, kFlush, kClear, kClose, kLink };

VOXLINE_API const char *tts_op_name(TtsOp op) noexcept;

struct TtsStreamError {
  Status status;  // TIMEOUT, UNAVAILABLE, UNAUTHENTICATED, RATE_LIMITED, PROTOCOL_ERROR, ...
  TtsOp op = TtsOp::kLink;
  std::vector<uint64_t> failed_segments;  // get no more audio and no on_flushed
  bool fatal = false;                     // the stream is dead: on_closed follows
};

struct TtsStreamClosed {
  Status status;  // OK after close(); else why the stream died
};

enum class TtsStreamState { kIdle, kConnecting, kOpen, kRest, kClosing, kClosed };

struct TtsStreamStats {
  uint64_t segments_started = 0, segments_flushed = 0, segments_cleared = 0, segments_failed = 0;
  uint64_t audio_bytes = 0, cleared_audio_bytes = 0;
  uint64_t connections = 0, rest_requests = 0, read_pauses = 0;
  size_t unacked_bytes = 0, pending_text_bytes = 0;
  bool reading_paused = false;
};

class TtsStream;

class VOXLINE_API TtsStreamHandler {
 public:
  virtual ~TtsStreamHandler() = default;
  // May take() the bytes. Audio of a segment cleared before the call never arrives here.
  virtual void on_audio(TtsStream &stream, TtsAudio &chunk) = 0;
  virtual void on_flushed(TtsStream &stream, const TtsSegmentFlushed &event) = 0;
  virtual void on_cleared(TtsStream &stream, const TtsSegmentsCleared &event) {
    (void)stream;
    (void)event;
  }
  virtual void on_warning(TtsStream &stream, const TtsStreamWarning &event) {
    (void)stream;
    (void)event;
  }
  virtual void on_error(TtsStream &stream, const TtsStreamError &event) = 0;
  // Exactly once, last.
  virtual void on_closed(TtsStream &stream, const TtsStreamClosed &event) = 0;
};

class VOXLINE_API TtsStream {
 public:
  virtual ~TtsStream() = default;

  // Validates the options and starts opening the websocket on `slot`. INVALID_ARGUMENT for bad
  // options (TtsOptions, auth, limits), a null slot or handler. Any thread.
  static Result<std::shared_ptr<TtsStream>> create(std::shared_ptr<Slot> slot,
                                                   const TtsStreamOptions &options,
                                                   std::shared_ptr<TtsStreamHandler> handler);

  // Appends `text` to the open segment (opening one if needed) and returns its id. The text is
  // copied. INVALID_ARGUMENT for empty or non-UTF-8 text; RATE_LIMITED when the character budget
  // cannot take it within max_text_wait; QUEUE_FULL past max_pending_text_bytes or
  // max_pending_segments; FAILED_PRECONDITION once closing or closed (or off the slot thread).
  virtual Result<uint64_t> speak(std::string_view text) = 0;

  // Ends the open segment: its audio is synthesised, on_flushed follows once all of it arrived.
  // Returns the segment's id. FAILED_PRECONDITION when no segment is open; RATE_LIMITED over the
  // flush budget (the segment stays open).
  virtual Result<uint64_t> flush() = 0;

  // Barge-in: drops every segment not yet complete (the open one too). No audio of them reaches
  // the handler after this returns; on_cleared follows. OK when nothing was pending (on_cleared
  // then lists no segment).
  virtual Status clear() = 0;

  // Ends the stream: segments already flushed play out (within the close deadline), an open
  // segment is dropped (flush first), then the socket closes and on_closed(OK) follows.
  // Idempotent.
  virtual Status close() = 0;

  // The host played or discarded `bytes` of delivered audio (back-pressure credit). Any thread.
  virtual void ack_audio(size_t bytes) noexcept = 0;

  virtual TtsStreamState state() const = 0;
  virtual TtsStreamStats stats() const = 0;
};

}  // namespace voxline::speech
