#include "voxline/core/status.hpp"

#include <utility>

#include "voxline/core/log.hpp"
#include "voxline/core/redactor.hpp"

namespace voxline {

const char *status_code_name(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kTimeout: return "TIMEOUT";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kQueueFull: return "QUEUE_FULL";
    case StatusCode::kBufferTooSmall: return "BUFFER_TOO_SMALL";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
    case StatusCode::kRateLimited: return "RATE_LIMITED";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kConflict: return "CONFLICT";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kProtocolError: return "PROTOCOL_ERROR";
    case StatusCode::kUnsupported: return "UNSUPPORTED";
    case StatusCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN";
}

StatusDetail::~StatusDetail() = default;

Status::Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

Status Status::from_external(StatusCode code, std::string_view context, std::string_view text,
                             const Redactor *redactor) {
  std::string msg(context);
  if (!text.empty()) {
    if (!msg.empty()) msg += ": ";
    msg += external_text(text, kMaxExternalBytes, redactor);
  }
  return Status(code, std::move(msg));
}

std::string Status::to_string() const {
  if (ok()) return "OK";
  std::string out = status_code_name(code_);
  if (!message_.empty()) {
    out += ": ";
    out += default_logger().redactor().redact(message_);
  }
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  Status out(code_, std::move(msg));
  out.detail_ = detail_;
  return out;
}

Status Status::with_detail(std::shared_ptr<const StatusDetail> detail) const {
  Status out = *this;
  if (!ok()) out.detail_ = std::move(detail);
  return out;
}

Status invalid_argument(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
Status timeout_error(std::string m) {
  return Status(StatusCode::kTimeout, std::move(m));
}
Status unavailable(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
Status queue_full(std::string m) {
  return Status(StatusCode::kQueueFull, std::move(m));
}
Status buffer_too_small(std::string m) {
  return Status(StatusCode::kBufferTooSmall, std::move(m));
}
Status cancelled(std::string m) {
  return Status(StatusCode::kCancelled, std::move(m));
}
Status unauthenticated(std::string m) {
  return Status(StatusCode::kUnauthenticated, std::move(m));
}
Status rate_limited(std::string m) {
  return Status(StatusCode::kRateLimited, std::move(m));
}
Status not_found(std::string m) {
  return Status(StatusCode::kNotFound, std::move(m));
}
Status conflict(std::string m) {
  return Status(StatusCode::kConflict, std::move(m));
}
Status failed_precondition(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
Status protocol_error(std::string m) {
  return Status(StatusCode::kProtocolError, std::move(m));
}
Status unsupported(std::string m) {
  return Status(StatusCode::kUnsupported, std::move(m));
}
Status internal_error(std::string m) {
  return Status(StatusCode::kInternal, std::move(m));
}

}  // namespace voxline
