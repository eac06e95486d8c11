// File: status.hpp
// Status: an error code from a small canonical set plus a message. The numeric values are the
// ones the C ABI exposes as voxline_status; they never change and new codes are only appended.
// Secrets: text that comes from outside voxline (an HTTP error body, a close reason, a server's
// error reply) enters a Status only through from_external(), which redacts it; to_string()
// redacts again with the default logger's redactor, so a key registered after the Status was
// made is masked too. message() is the text as stored, for code that compares messages.
//
//   return Status::from_external(StatusCode::kUnauthenticated, "HTTP 401", error_body);
//
//   Status s = queue.push(frame);
//   if (!s.ok()) VOXLINE_LOG_WARN(log, "dropped frame: {}", s.to_string());
//
// A Status may carry a structured detail (StatusDetail) for callers that act on more than the
// code, e.g. storage's DbError naming the constraint a row broke:
//   if (const DbError *e = s.detail_as<DbError>()) ... e->constraint ...
//
// Thread-safety: a Status is a value; distinct objects may be used from any thread (the detail
// is immutable and shared between copies).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "voxline/core/export.hpp"

namespace voxline {

class Redactor;

// Canonical error codes. Choose the most specific code a caller can act on.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = -1,      // the caller passed something wrong (NULL, schema mismatch, bad key,
                              // undecodable audio: websocket close 1008)
  kTimeout = -2,              // a deadline expired before the operation completed
  kUnavailable = -3,          // peer/server unreachable or failed transiently (5xx, dropped link)
  kQueueFull = -4,            // a bounded queue or local resource refused more work
  kBufferTooSmall = -5,       // a caller-supplied buffer cannot hold the result
  kCancelled = -6,            // the operation was cancelled (barge-in, shutdown)
  kUnauthenticated = -7,      // credentials missing or refused (401/403)
  kRateLimited = -8,          // the peer or a local limiter asked us to slow down (429)
  kNotFound = -9,             // a requested entity does not exist
  kConflict = -10,            // a uniqueness / version / capacity rule refused the change
  kFailedPrecondition = -11,  // the system is not in a state that allows this (closed, too new)
  kProtocolError = -12,       // the peer sent something that violates its protocol
  kUnsupported = -13,         // a valid request this build or backend cannot serve
  kInternal = -99,            // a bug or an unexpected failure; the message says where
};

// Static, never-NULL name of a code, e.g. "TIMEOUT".
VOXLINE_API const char *status_code_name(StatusCode code) noexcept;

// Structured data about an error, attached to a Status by the layer that knows it. Immutable.
class VOXLINE_API StatusDetail {
 public:
  virtual ~StatusDetail();
  // One line for logs, e.g. "constraint UNIQUE customers_phone_unique (customers.phone)".
  virtual std::string describe() const = 0;
};

class VOXLINE_API Status {
 public:
  Status() noexcept = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() noexcept { return Status(); }
  // "<context>: <text>" where `text` came from outside voxline: cut to kMaxExternalBytes, control
  // characters replaced by spaces (one log line stays one line) and passed through `redactor`
  // (nullptr: default_logger().redactor()). `context` is voxline's own words ("HTTP 401").
  static Status from_external(StatusCode code, std::string_view context, std::string_view text,
                              const Redactor *redactor = nullptr);
  static constexpr size_t kMaxExternalBytes = 512;

  bool ok() const noexcept { return code_ == StatusCode::kOk; }
  StatusCode code() const noexcept { return code_; }
  const std::string &message() const noexcept { return message_; }
  // "TIMEOUT: connect to api.deepgram.com took longer than 5000 ms" (or "OK"), redacted with
  // default_logger().redactor().
  std::string to_string() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK. The detail is kept.
  Status with_context(std::string_view context) const;

  // Returns a copy carrying `detail` (OK stays OK and carries none).
  Status with_detail(std::shared_ptr<const StatusDetail> detail) const;
  const std::shared_ptr<const StatusDetail> &detail() const noexcept { return detail_; }
  // The detail if it is a T, else nullptr.
  template <typename T>
  const T *detail_as() const noexcept {
    return dynamic_cast<const T *>(detail_.get());
  }

  // Equal code and message (the detail is not compared).
  friend bool operator==(const Status &a, const Status &b) noexcept {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }
  friend bool operator!=(const Status &a, const Status &b) noexcept { return !(a == b); }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::shared_ptr<const StatusDetail> detail_;
};

// Factories, one per code, so call sites read as the condition they report.
VOXLINE_API Status invalid_argument(std::string message);
VOXLINE_API Status timeout_error(std::string message);
VOXLINE_API Status unavailable(std::string message);
VOXLINE_API Status queue_full(std::string message);
VOXLINE_API Status buffer_too_small(std::string message);
VOXLINE_API Status cancelled(std::string message);
VOXLINE_API Status unauthenticated(std::string message);
VOXLINE_API Status rate_limited(std::string message);
VOXLINE_API Status not_found(std::string message);
VOXLINE_API Status conflict(std::string message);
VOXLINE_API Status failed_precondition(std::string message);
VOXLINE_API Status protocol_error(std::string message);
VOXLINE_API Status unsupported(std::string message);
VOXLINE_API Status internal_error(std::string message);

}  // namespace voxline

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define VOXLINE_RETURN_IF_ERROR(expr)                          \
  do {                                                         \
    ::voxline::Status voxline_status_tmp_ = (expr);            \
    if (!voxline_status_tmp_.ok()) return voxline_status_tmp_; \
  } while (0)
