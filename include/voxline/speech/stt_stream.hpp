// File: stt_stream.hpp
// SttStream: one Deepgram live transcription stream (`/v1/listen`) of a call, on one Runtime slot.
// Audio goes in through push_audio (a copy into a preallocated bounded ring, never blocking);
// typed events come out through SttStreamHandler on the slot's thread. The stream survives
// unexpected drops: it reconnects with backoff, re-sends the audio Deepgram had not finalized,
// and keeps every time it reports on one clock.
//
//   SttStreamOptions o;
//   o.stt.base_url = "wss://api.deepgram.com";
//   o.auth = {DeepgramAuth::Scheme::kToken, api_key};
//   auto stt = SttStream::open(slot, o, std::make_shared<MyHandler>(), &runtime->metrics());
//   (*stt)->push_audio(frame, 160);          // host audio thread: 20 ms of 8 kHz mu-law
//   (*stt)->finalize();                      // local VAD says the caller stopped
//   (*stt)->close();                         // CloseStream; on_closed follows the last results
//
// Audio path: push_audio copies the frame into the ring; the slot drains the ring every
// `coalesce` (one websocket message per tick, so 20 ms frames at the default 20 ms coalescing go out
// one by one, and 10 ms frames two at a time; the cost in latency is at most `coalesce`).
// Right after a connection opens, `initial_silence` of silence goes out when no audio is waiting,
// because Deepgram closes sockets that never receive audio. While no audio flows, KeepAlive goes
// out every `keepalive_interval`. Finalize and CloseStream take the priority lane, but only once
// the audio queued before them is written: overtaking it would lose the tail of the speech.
// push_audio never allocates; on the slot, each tick re-arms one timer and each audio message is
// one WsBuffer that the runtime takes over. Ticks of all streams with the same `coalesce` fall on
// one grid, so a slot serves them in one loop pass.
//
// The stream clock: every time in an event (result start and words, SpeechStarted timestamp,
// UtteranceEnd last_word_end) is in seconds of audio the stream has sent since it began (caller
// audio and the initial silence, each byte counted once; audio dropped by the ring never reached
// Deepgram and is not on it). Deepgram restarts its times at 0 on every connection; the stream adds
// the clock time of each connection's first byte.
//
// Reconnect: a connection that ends unexpectedly with a transient cause (dropped link, 1011 NET-*,
// timeouts, 429/5xx at the handshake, no message for `result_timeout` while audio flows) is
// replaced after a backoff (RetryPolicy: full jitter, Retry-After honoured, `reconnect.max_attempts`
// per outage; a connection that delivers a message starts a new count). The owner hears
// on_reconnecting before each attempt and on_reconnected once it opens. The new connection first
// receives the audio sent since the end of the last final result (at most `replay_bound`; what did
// not fit is counted as lost), then the ring's audio; results for the re-sent audio replace the
// interims the owner saw before. A pending finalize() is sent again after the replay. Permanent
// causes (1008 DATA: the audio does not match encoding/sample_rate; 401/403; 400) end the stream.
//
// Errors: a malformed server message, an Error message, and the close that ends a connection are
// reported by on_error (fatal = false when the stream goes on). Close codes map through
// status_from_deepgram_close: 1008 DATA-0000 -> INVALID_ARGUMENT, 1011 NET-0000/0001 -> UNAVAILABLE,
// each saying what to fix.
//
// Events: on_open once (the first connection), then results and the other events, on_reconnecting /
// on_reconnected around each reconnect, and exactly one on_closed, after which nothing is called.
// A first connection refused transiently (429, 5xx) is retried too: on_reconnecting then comes
// before on_open.
// All run on the slot thread, in wire order, never inside the call that caused them; they must not
// block. Views and references passed to them are valid only during the call.
// Threading: push_audio from one thread at a time (any thread: the host's audio thread, or the
// slot thread), never two concurrently (a second concurrent caller gets FAILED_PRECONDITION);
// the ring is single-producer, lock-free. Every other method may be called from any thread.
// Lifetime: destroying the SttStream aborts it unless on_closed was delivered: the socket is cut at
// once and on_closed(CANCELLED) follows on the slot thread. The handler is released after
// on_closed. The MetricsRegistry must outlive the stream. Destroy the stream before the Runtime.
// Metrics (names resolved once per stream, nothing looked up per frame):
//   voxline_stt_streams_open                  gauge   streams between open() and on_closed
//   voxline_stt_audio_bytes_sent_total{kind}  counter audio handed to Deepgram: audio (caller),
//                                                     silence (initial), replay (re-sent after a drop)
//   voxline_stt_ring_high_water_bytes         gauge   fullest any stream's ring has been
//   voxline_stt_ring_dropped_bytes_total      counter audio dropped because a ring was full
//   voxline_stt_reconnects_total              counter reconnect attempts started
//   voxline_stt_replay_lost_bytes_total       counter unfinalized audio beyond replay_bound at a drop
//   voxline_stt_timeouts_total{phase}         counter connect (DNS/TCP/TLS/upgrade), send (no write
//                                                     progress), result (audio flowing, Deepgram
//                                                     silent), close (no server close after
//                                                     CloseStream), deepgram (1011 NET-* closes)
//   voxline_stt_keepalives_total              counter KeepAlive messages sent
//   voxline_stt_time_to_first_result_ms       histogram first audio byte of a connection -> its
//                                                     first Results message
//   voxline_stt_errors_total{code}            counter on_error events
// Secrets: the credential is registered with the logger's Redactor and never logged.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "voxline/core/clock.hpp"
#include "voxline/core/export.hpp"
#include "voxline/core/result.hpp"
#include "voxline/core/status.hpp"
#include "voxline/net/retry_policy.hpp"
#include "voxline/speech/deepgram_auth.hpp"
#include "voxline/speech/stt_messages.hpp"
#include "voxline/speech/stt_options.hpp"

namespace voxline {
class Logger;
class MetricsRegistry;
class Slot;
}  // namespace voxline

namespace voxline::speech {

// What push_audio does when the ring is full.
enum class SttOverflowPolicy {
  kDropOldest,  // keep the newest audio: the oldest waiting bytes are discarded
  kDropNewest,  // keep what is waiting: the new frame is refused (QUEUE_FULL)
};

struct SttStreamOptions {
  SttOptions stt;     // the socket's query parameters and base URL
  DeepgramAuth auth;  // Token <api key>, or Bearer <temporary token>
  // Audio the ring holds while the slot has not drained it or no connection is open (about 2 s).
  Duration ring_capacity = std::chrono::seconds(2);
  SttOverflowPolicy overflow = SttOverflowPolicy::kDropOldest;
  // Audio waits until this much has gathered before it goes out as one message (5..500 ms; also
  // the slot's tick period for this stream). Adds at most this much latency.
  Duration coalesce = std::chrono::milliseconds(20);
  // Largest audio message (replays and flushes are cut into messages of at most this much audio).
  Duration max_message = std::chrono::milliseconds(250);
  // Silence sent as soon as a connection opens with no audio waiting (0 = none).
  Duration initial_silence = std::chrono::milliseconds(100);
  // KeepAlive after this long without audio (Deepgram closes after about 10 s of nothing).
  Duration keepalive_interval = std::chrono::seconds(4);
  Duration connect_timeout = std::chrono::seconds(5);    // DNS + TCP + TLS
  Duration handshake_timeout = std::chrono::seconds(5);  // the answer to the upgrade request
  // A connection whose audio has gone unanswered this long (no message at all from Deepgram
  // since audio started flowing) is taken for half-open and replaced (0 = off).
  Duration result_timeout = std::chrono::seconds(15);
  int ping_interval_s = 20;  // websocket pings on an idle link (0 = none)
  // close(): until the last results, Metadata and the server's close arrived.
  Duration close_timeout = std::chrono::seconds(3);
  bool reconnect = true;
  // Attempts per outage (the failed connection counts as the first) and the backoff bounds.
  RetryOptions reconnect_backoff{5, std::chrono::milliseconds(200), std::chrono::seconds(4),
                                 std::chrono::seconds(10), false};
  // Unfinalized audio re-sent after a drop, at most (also the memory the stream keeps for it).
  Duration replay_bound = std::chrono::seconds(10);
  Logger *logger = nullptr;  // nullptr = default_logger()
};

// Checks SttStreamOptions: the SttOptions (validate), the credential (authorization_header) and
// the ranges above. INVALID_ARGUMENT naming the field.
VOXLINE_API Status validate(const SttStreamOptions &options);

struct SttOpenInfo {
  std::string request_id;  // dg-request-id of the connection
};

struct SttStreamError {
  Status status;
  bool fatal = false;  // true: on_closed with this status follows
};

struct SttReconnectInfo {
  int attempt = 0;            // 1 for the first reconnect of this outage
  Status cause;               // why the previous connection ended
  Duration delay{};           // the backoff waited before this attempt
  int connection = 0;         // the new connection's number (the first connection is 0)
  double clock_offset_s = 0;  // stream-clock time of the new connection's first byte
  // on_reconnected only:
  uint64_t replayed_bytes = 0;  // audio re-sent (unfinalized audio of the previous connections)
  uint64_t lost_bytes = 0;      // unfinalized audio that did not fit replay_bound
  std::string request_id;       // of the new connection
};

struct SttClosedInfo {
  Status status;                   // OK after a clean close(); else the cause
  bool metadata_received = false;  // Deepgram's closing Metadata arrived
  int connections = 0;             // connections opened
};

class VOXLINE_API SttStreamHandler {
 public:
  virtual ~SttStreamHandler() = default;
  virtual void on_open(const SttOpenInfo &info) { (void)info; }
  // A Results message, times on the stream clock.
  virtual void on_transcript(const SttTranscript &result) = 0;
  virtual void on_speech_started(const SttSpeechStarted &event) { (void)event; }
  virtual void on_utterance_end(const SttUtteranceEnd &event) { (void)event; }
  virtual void on_metadata(const SttMetadata &metadata) { (void)metadata; }
  virtual void on_error(const SttStreamError &error) { (void)error; }
  virtual void on_reconnecting(const SttReconnectInfo &info) { (void)info; }
  virtual void on_reconnected(const SttReconnectInfo &info) { (void)info; }
  virtual void on_closed(const SttClosedInfo &info) = 0;
};

// Counters of one stream. Any thread; each field is read atomically, not the set as a whole.
struct SttStreamStats {
  uint64_t audio_bytes_pushed = 0;  // accepted by push_audio
  uint64_t audio_bytes_sent = 0;    // the stream clock in bytes (caller audio + initial silence)
  uint64_t silence_bytes_sent = 0;
  uint64_t replayed_bytes = 0;
  uint64_t replay_lost_bytes = 0;
  uint64_t ring_dropped_bytes = 0;
  size_t ring_high_water_bytes = 0;
  size_t ring_capacity_bytes = 0;
  uint64_t keepalives_sent = 0;
  uint64_t finalizes_sent = 0;
  uint64_t results = 0;    // Results messages delivered
  uint64_t malformed = 0;  // server messages that could not be decoded
  int connections = 0;     // opened so far
  int reconnects = 0;      // reconnect attempts started
};

class VOXLINE_API SttStream {
 public:
  // Starts connecting on `slot`. INVALID_ARGUMENT for bad options (validate), FAILED_PRECONDITION
  // or QUEUE_FULL from the slot; every later outcome arrives through `handler`. `metrics` nullptr =
  // MetricsRegistry::global().
  static Result<std::unique_ptr<SttStream>> open(std::shared_ptr<Slot> slot, const SttStreamOptions &options,
                                                 std::shared_ptr<SttStreamHandler> handler,
                                                 MetricsRegistry *metrics = nullptr);
  ~SttStream();
  SttStream(const SttStream &) = delete;
  SttStream &operator=(const SttStream &) = delete;

  // Copies `size` bytes of audio in the stream's encoding into the ring. Never blocks, never
  // allocates. OK when stored (under drop-oldest older audio may be discarded later, counted);
  // QUEUE_FULL when the frame was dropped (drop-newest, or a slot that has not drained for a whole
  // extra ring); INVALID_ARGUMENT for a NULL pointer, a size that is not whole samples or exceeds the
  // ring; FAILED_PRECONDITION after close() or abort(), or while another thread is inside push_audio.
  // One thread at a time (see Threading above).
  Status push_audio(const void *data, size_t size) noexcept;

  // Asks Deepgram to finalize the audio sent so far (a result with from_finalize follows, unless
  // nothing was pending). Any thread. FAILED_PRECONDITION once closing.
  Status finalize();
  // Stops taking audio, sends what the ring holds, then CloseStream, and waits up to close_timeout
  // for the last results and Metadata; on_closed follows. Idempotent. Any thread.
  Status close();
  // Ends the stream at once: on_closed(CANCELLED) follows unless it was already delivered. Any thread.
  void abort();

  SttStreamStats stats() const noexcept;

  class Impl;

 private:
  explicit SttStream(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace voxline::speech
