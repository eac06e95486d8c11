/* voxline.h: the stable C ABI of voxline, an embeddable phone voice-agent runtime.
 *
 * C99, no C++ types. Every fallible function returns voxline_status (0 = OK, negative = error);
 * the message of the last failure on the calling thread comes from voxline_last_error_message().
 * Values of voxline_status never change; new ones are only appended.
 *
 * Thread-safety: the functions in this header may be called from any thread.
 */
#ifndef VOXLINE_H
#define VOXLINE_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define VOXLINE_C_API __declspec(dllexport)
#else
#define VOXLINE_C_API __attribute__((visibility("default")))
#endif

/* Status codes; identical to voxline::StatusCode in the C++ API. */
typedef enum voxline_status {
  VOXLINE_OK = 0,
  VOXLINE_E_INVALID_ARGUMENT = -1,
  VOXLINE_E_TIMEOUT = -2,
  VOXLINE_E_UNAVAILABLE = -3,
  VOXLINE_E_QUEUE_FULL = -4,
  VOXLINE_E_BUFFER_TOO_SMALL = -5,
  VOXLINE_E_CANCELLED = -6,
  VOXLINE_E_UNAUTHENTICATED = -7,
  VOXLINE_E_RATE_LIMITED = -8,
  VOXLINE_E_NOT_FOUND = -9,
  VOXLINE_E_CONFLICT = -10,
  VOXLINE_E_FAILED_PRECONDITION = -11,
  VOXLINE_E_PROTOCOL_ERROR = -12,
  VOXLINE_E_UNSUPPORTED = -13,
  VOXLINE_E_INTERNAL = -99,
  /* Not a status: pins the enum to 32 bits so every int value is a valid voxline_status. */
  VOXLINE_STATUS_FORCE_INT32_ = 0x7fffffff
} voxline_status;

/* Library version "MAJOR.MINOR.PATCH". Static storage, never NULL. Since 0.1. */
VOXLINE_C_API const char *voxline_version(void);

/* Static name of a status code ("TIMEOUT"); "UNKNOWN" for values this build does not know.
 * Never NULL. Since 0.1. */
VOXLINE_C_API const char *voxline_status_str(voxline_status status);

#ifdef __cplusplus
}
#endif

#endif /* VOXLINE_H */
