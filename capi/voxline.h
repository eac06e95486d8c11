/* voxline.h: the stable C ABI of voxline, an embeddable phone voice-agent runtime.
 *
 * C99, no C++ types. Every fallible function returns voxline_status (0 = OK, negative = error);
 * the message of the last failure on the calling thread comes from voxline_last_error_message().
 * Values of voxline_status never change; new ones are only appended. No C++ exception crosses
 * this boundary: one thrown inside a call comes back as VOXLINE_E_INTERNAL (VOXLINE_E_QUEUE_FULL
 * when memory ran out) with its text in voxline_last_error_message().
 *
 * Logging: the library writes WARN and ERROR lines to stderr ("<UTC time> <LEVEL> [component]
 * message", secrets redacted) until the host calls voxline_log_set_sink; passing NULL silences
 * it. voxline_log_set_level changes the threshold.
 *
 *   if (voxline_log_set_level(VOXLINE_LOG_INFO) != VOXLINE_OK)
 *     fprintf(stderr, "voxline: %s\n", voxline_last_error_message());
 *   voxline_log_set_sink(my_log, my_state, NULL);
 *
 * Thread-safety: the functions in this header may be called from any thread.
 */
#ifndef VOXLINE_H
#define VOXLINE_H

#include <stdint.h>

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

/* Message of the last failed voxline call on this thread, "" if none. Never NULL; valid until the
 * next voxline call on this thread. A later successful call does not clear it, so read it right
 * after the failure; it does not reset the error (nor do voxline_status_str and
 * voxline_version). Secrets are redacted. Since 0.1. */
VOXLINE_C_API const char *voxline_last_error_message(void);

/* Log levels, identical to voxline::LogLevel. VOXLINE_LOG_OFF as a threshold drops every line. */
typedef enum voxline_log_level {
  VOXLINE_LOG_TRACE = 0,
  VOXLINE_LOG_DEBUG = 1,
  VOXLINE_LOG_INFO = 2,
  VOXLINE_LOG_WARN = 3,
  VOXLINE_LOG_ERROR = 4,
  VOXLINE_LOG_OFF = 5,
  /* Not levels: pin the enum to a signed 32-bit range, so every int a host passes (a negative
   * one included) is a valid voxline_log_level that the library can reject with a status. */
  VOXLINE_LOG_LEVEL_FORCE_INT32_MIN_ = -0x7fffffff - 1,
  VOXLINE_LOG_LEVEL_FORCE_INT32_ = 0x7fffffff
} voxline_log_level;

#define VOXLINE_LOG_RECORD_VERSION 1

/* One log line as handed to a voxline_log_fn. Fields are only ever appended; `version` says
 * which ones the library filled. */
typedef struct voxline_log_record {
  unsigned version;        /* VOXLINE_LOG_RECORD_VERSION of the library */
  voxline_log_level level; /* VOXLINE_LOG_TRACE..VOXLINE_LOG_ERROR */
  const char *component;   /* "core", "net", "storage", ...; NUL-terminated */
  const char *message;     /* NUL-terminated, no trailing newline, secrets already redacted */
  int64_t unix_time_ms;    /* wall-clock time of the line, milliseconds since 1970 (UTC) */
} voxline_log_record;

/* Receives log lines. Runs on whichever thread logged, possibly on several threads at once; it
 * should return quickly. `record` and its strings are valid only until it returns. It may call
 * back into voxline. */
typedef void (*voxline_log_fn)(const voxline_log_record *record, void *user_data);

/* Sends every log line of the library (the process-wide logger) to `fn` from now on; fn NULL
 * discards every line, which silences the library. `user_data` is passed to `fn` untouched.
 * `user_data_free` (may be NULL) runs once with `user_data` when no call into `fn` can happen
 * any more: after a later voxline_log_set_sink replaced this sink and every call already in
 * flight returned, possibly on a logging thread; right away when `fn` is NULL or this call
 * fails. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_log_set_sink(voxline_log_fn fn, void *user_data,
                                                  void (*user_data_free)(void *user_data));

/* Drops lines below `level` (default VOXLINE_LOG_WARN). VOXLINE_E_INVALID_ARGUMENT for a value
 * outside VOXLINE_LOG_TRACE..VOXLINE_LOG_OFF. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_log_set_level(voxline_log_level level);

#ifdef __cplusplus
}
#endif

#endif /* VOXLINE_H */
