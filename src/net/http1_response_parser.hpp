// Internal: Http1ResponseParser, an incremental HTTP/1.1 response parser (RFC 9112) for the
// runtime's own HTTP/1.1 client: status line, header fields, and the body framed by
// Content-Length, chunked transfer coding (extensions and trailers skipped) or the end of the
// connection. Bytes go in as the socket delivers them, split anywhere; events come out.
//
//   Http1ResponseParser p;
//   p.expect_response(/*head_request=*/false);
//   Status st = p.feed(data, len, events);     // any split; body spans point into `data`
//   if (p.complete()) ... p.keep_alive() ...   // the connection may carry the next request
//   st = p.feed_eof(events);                   // the peer closed: ends a close-delimited body
//
// 1xx interim responses are skipped (their status never reaches the events); 101 is an error
// (we never ask to switch protocols). HEAD, 204 and 304 responses have no body. A malformed
// response, a head over the limits, or bytes after a complete response give PROTOCOL_ERROR and
// the parser stays failed: close the connection.
// Cost: the head is buffered once (one reused string); body bytes are never copied.
// Threads: one parser per connection, used by its loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "voxline/core/status.hpp"

namespace voxline::detail {

class Http1ResponseEvents {
 public:
  virtual ~Http1ResponseEvents() = default;
  // The final response's status line (status >= 200); `minor_version` is 0 or 1.
  virtual void on_http1_status(int status, int minor_version) = 0;
  // One header field, name and value trimmed; views valid during the call.
  virtual void on_http1_header(std::string_view name, std::string_view value) = 0;
  virtual void on_http1_head_complete() = 0;
  // A piece of the body, transfer coding removed. Return false to stop: feed() returns at once
  // with CANCELLED and the connection must be closed.
  virtual bool on_http1_body(const char *data, size_t len) = 0;
  virtual void on_http1_message_complete() = 0;
};

struct Http1Limits {
  size_t max_head_bytes = 64u << 10;  // status line + header fields (per response, 1xx included)
  size_t max_headers = 256;           // fields past this are dropped (not an error)
  size_t max_chunk_line = 1024;       // chunk size line with extensions, or one trailer line
};

class Http1ResponseParser {
 public:
  explicit Http1ResponseParser(Http1Limits limits = {}) : limits_(limits) {}

  // Arms the parser for the response to the request just sent. `head_request`: the response to a
  // HEAD has no body whatever its headers say.
  void expect_response(bool head_request);
  // Consumes all of `data` (or fails). Events run inside the call.
  Status feed(const char *data, size_t len, Http1ResponseEvents &events);
  // The peer closed the connection. OK when that ends a close-delimited body (the message is then
  // complete) or when no response was expected; PROTOCOL_ERROR when a response was cut short.
  Status feed_eof(Http1ResponseEvents &events);

  bool started() const noexcept { return bytes_seen_ > 0; }  // some byte of this response arrived
  bool head_complete() const noexcept { return state_ > State::kHead && state_ != State::kFailed; }
  bool complete() const noexcept { return state_ == State::kDone; }
  // The connection may carry another request once this response is complete.
  bool keep_alive() const noexcept { return keep_alive_ && state_ == State::kDone; }
  int status() const noexcept { return status_; }
  int minor_version() const noexcept { return minor_; }

 private:
  enum class State {
    kIdle,        // no response expected: any byte is an error
    kHead,        // status line and fields, buffered in head_
    kFixedBody,   // Content-Length: remaining_ bytes to go
    kChunkSize,   // the chunk size line, buffered in line_
    kChunkData,   // remaining_ bytes of the current chunk
    kChunkCrlf,   // the CRLF after a chunk's data
    kTrailers,    // trailer lines after the last chunk, until an empty one
    kUntilClose,  // body ends when the connection does
    kDone,
    kFailed
  };

  Status fail(std::string message);
  // Parses the complete head in head_; on success sets the body state and delivers the head.
  Status parse_head(Http1ResponseEvents &events, bool *interim);
  Status parse_chunk_size();
  Status complete_message(Http1ResponseEvents &events);
  // Appends to line_ up to and including '\n'; returns bytes used, sets *done at the line end.
  size_t take_line(const char *data, size_t len, bool *done);

  const Http1Limits limits_;
  State state_ = State::kIdle;
  bool head_request_ = false;
  bool keep_alive_ = false;
  int status_ = 0;
  int minor_ = 1;
  uint64_t remaining_ = 0;
  uint64_t bytes_seen_ = 0;
  std::string head_;  // reused across responses: no allocation once warm
  std::string line_;
};

}  // namespace voxline::detail
