// File: sse_parser.hpp
// SseParser: an I/O-free, incremental parser for Server-Sent Events (the WHATWG event-stream
// format that OpenAI-compatible servers stream chat completions in). Bytes go in as they arrive,
// split anywhere (inside a line, inside a CRLF, inside a UTF-8 sequence); complete events come out.
//
// Handles LF, CRLF and lone CR line endings (a CR ending one chunk and an LF starting the next are
// one line break), comment lines (": keep-alive", bare ":"), multi-line data joined with '\n',
// empty data ("data:" alone dispatches an event with empty data), event/id/retry fields, unknown
// fields (ignored) and a leading UTF-8 BOM. A blank line with no data line before it dispatches
// nothing. An event larger than max_event_bytes is refused with PROTOCOL_ERROR instead of growing.
//
//   SseParser parser;
//   std::vector<SseEvent> events;
//   Status s = parser.feed(chunk, events);      // appends 0..n events
//   for (const SseEvent &e : events) if (e.data == "[DONE]") ...
//   Status s = parser.feed(chunk, sink);       // or each event to sink.on_sse_event, no copy
//
// Ownership: events appended to a vector are plain values owned by the caller; an event handed to
// a sink is the parser's, valid during the call.
// Thread-safety: one thread at a time per parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "voxline/core/export.hpp"
#include "voxline/core/status.hpp"

namespace voxline {

struct SseEvent {
  std::string event = "message";    // the "event:" field, "message" when absent
  std::string data;                 // "data:" lines joined with '\n'
  std::string id;                   // the last "id:" seen on the stream (persists across events)
  std::optional<int64_t> retry_ms;  // a valid "retry:" inside this event, if any

  friend bool operator==(const SseEvent &a, const SseEvent &b) {
    return a.event == b.event && a.data == b.data && a.id == b.id && a.retry_ms == b.retry_ms;
  }
};

// Receives events as feed(bytes, sink) completes them. The event is the parser's own: valid only
// during the call, its buffers reused for the next event, so a warm parser allocates nothing per
// event. Return false to stop: feed() returns CANCELLED at once and the parser, as after an
// error, refuses more input until reset().
class VOXLINE_API SseEventSink {
 public:
  virtual ~SseEventSink() = default;
  virtual bool on_sse_event(const SseEvent &event) = 0;
};

struct SseParserOptions {
  // Largest event (data + current line) accepted; larger gives PROTOCOL_ERROR.
  size_t max_event_bytes = 1u << 20;
};

class VOXLINE_API SseParser {
 public:
  explicit SseParser(SseParserOptions options = {});

  // Parses `bytes` and appends every event completed by them to `out`. After an error the parser
  // refuses further input (FAILED_PRECONDITION) until reset(); events completed before the error
  // are still appended.
  Status feed(std::string_view bytes, std::vector<SseEvent> &out);
  // The same, handing each event to `sink` inside the call (the per-chunk path: no allocation).
  Status feed(std::string_view bytes, SseEventSink &sink);

  // True when bytes of an unfinished event are buffered (a stream ending now was truncated).
  bool has_partial_event() const noexcept;
  // The reconnection time from the last valid "retry:" field, if any.
  std::optional<int64_t> retry_ms() const noexcept { return retry_ms_; }
  const std::string &last_event_id() const noexcept { return last_event_id_; }
  // Bytes consumed so far.
  uint64_t bytes_fed() const noexcept { return bytes_fed_; }
  // Forgets all state, including the last event id and an earlier error.
  void reset();

 private:
  Status process_line(std::string_view line, SseEventSink &out);
  bool dispatch(SseEventSink &out);  // false: the sink stopped the parse

  SseParserOptions options_;
  std::string line_;  // bytes of the current, unterminated line
  std::string data_;
  SseEvent current_;  // the event being handed to a sink (buffers reused)
  std::string event_type_;
  std::string last_event_id_;
  std::optional<int64_t> event_retry_;
  std::optional<int64_t> retry_ms_;
  bool has_data_ = false;
  bool saw_field_ = false;       // any field line since the last dispatch (for has_partial_event)
  bool last_was_cr_ = false;     // the previous byte was a CR ending a line
  bool at_stream_start_ = true;  // a BOM is only stripped from the first line
  bool failed_ = false;
  uint64_t bytes_fed_ = 0;
};

}  // namespace voxline
