// C ABI: status codes, the thread-local error message and the exception -> status mapping.
#include <string>

#include "capi_internal.hpp"
#include "voxline/core/log.hpp"

static_assert(static_cast<int>(voxline::StatusCode::kOk) == VOXLINE_OK, "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kInvalidArgument) == VOXLINE_E_INVALID_ARGUMENT,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kTimeout) == VOXLINE_E_TIMEOUT, "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kUnavailable) == VOXLINE_E_UNAVAILABLE,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kQueueFull) == VOXLINE_E_QUEUE_FULL,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kBufferTooSmall) == VOXLINE_E_BUFFER_TOO_SMALL,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kCancelled) == VOXLINE_E_CANCELLED,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kUnauthenticated) == VOXLINE_E_UNAUTHENTICATED,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kRateLimited) == VOXLINE_E_RATE_LIMITED,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kNotFound) == VOXLINE_E_NOT_FOUND,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kConflict) == VOXLINE_E_CONFLICT,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kFailedPrecondition) == VOXLINE_E_FAILED_PRECONDITION,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kProtocolError) == VOXLINE_E_PROTOCOL_ERROR,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kUnsupported) == VOXLINE_E_UNSUPPORTED,
              "C and C++ codes differ");
static_assert(static_cast<int>(voxline::StatusCode::kInternal) == VOXLINE_E_INTERNAL,
              "C and C++ codes differ");

namespace voxline::capi {
namespace {

// The last failure's message on this thread. When even copying a message fails, `fallback`
// (static text) is shown instead, so voxline_last_error_message() never allocates or fails.
struct ThreadError {
  std::string message;
  const char *fallback = nullptr;
};
thread_local ThreadError t_error;

// Stores "<prefix><message>", redacted: a message may quote a server's reply or a URL.
void record(std::string_view prefix, std::string_view message) noexcept {
  try {
    std::string text;
    text.reserve(prefix.size() + message.size());
    text.append(prefix).append(message);
    t_error.message = default_logger().redactor().redact(text);
    t_error.fallback = nullptr;
  } catch (...) {
    t_error.fallback = "out of memory while recording the error message";
  }
}

}  // namespace

voxline_status to_c_status(StatusCode code) noexcept {
  return static_cast<voxline_status>(static_cast<int>(code));
}

voxline_status set_error(const Status &status) noexcept {
  if (status.ok()) return VOXLINE_OK;
  record({}, status.message());
  return to_c_status(status.code());
}

voxline_status set_error(voxline_status code, const char *message) noexcept {
  if (code == VOXLINE_OK) return VOXLINE_OK;
  record({}, message != nullptr ? std::string_view(message) : std::string_view());
  return code;
}

voxline_status set_error_from_current_exception() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc &e) {
    record("out of memory: ", e.what());
    return VOXLINE_E_QUEUE_FULL;
  } catch (const std::exception &e) {
    record("unexpected C++ exception: ", e.what());
    return VOXLINE_E_INTERNAL;
  } catch (...) {
    record("unexpected C++ exception of a non-std type", {});
    return VOXLINE_E_INTERNAL;
  }
}

const char *last_error_message() noexcept {
  return t_error.fallback != nullptr ? t_error.fallback : t_error.message.c_str();
}

}  // namespace voxline::capi

extern "C" const char *voxline_last_error_message(void) {
  return voxline::capi::last_error_message();
}
