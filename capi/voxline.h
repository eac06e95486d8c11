/* voxline.h: the stable C ABI of voxline, an embeddable phone voice-agent runtime.
 *
 * C99, no C++ types. Every fallible function returns voxline_status (0 = OK, negative = error);
 * the message of the last failure on the calling thread comes from voxline_last_error_message().
 * Values of voxline_status never change; new ones are only appended. No C++ exception crosses
 * this boundary: one thrown inside a call comes back as VOXLINE_E_INTERNAL (VOXLINE_E_QUEUE_FULL
 * when memory ran out) with its text in voxline_last_error_message().
 *
 * Logging: nothing is ever printed to stderr or stdout. From the first call into this API (any
 * function that returns voxline_status) until the host calls voxline_log_set_sink, every log
 * line the library emits (WARN and ERROR by default) is dropped and counted in the metric
 * voxline_log_dropped_total{level="warn"|...} (read it with voxline_runtime_metrics_json). Call
 * voxline_log_set_sink to receive the lines (secrets redacted), or with NULL to discard them
 * uncounted; voxline_log_set_level changes the threshold. (Since 0.2; in 0.1 the lines went to
 * stderr until a sink was set.)
 *
 *   if (voxline_log_set_level(VOXLINE_LOG_INFO) != VOXLINE_OK)
 *     fprintf(stderr, "voxline: %s\n", voxline_last_error_message());
 *   voxline_log_set_sink(my_log, my_state, NULL);
 *
 * Handles (voxline_tokenizer, voxline_database, voxline_session_store, voxline_runtime) are
 * opaque. They are created through an `**out` parameter, which is NULL after a failure, and
 * released by their own free/close/destroy function, which accepts NULL. The library tracks
 * live handles: a NULL, already released or wrong-kind handle passed to any function gives
 * VOXLINE_E_INVALID_ARGUMENT with a message instead of a crash, and releasing twice does
 * nothing (as long as no newer handle of the same kind got the released one's address).
 * Handles of this version have no parent: each may be released in any order.
 *
 * Ownership: input strings and options are read during the call (copied where kept). Returned
 * buffers belong to the caller and name their free function; never pass them to free().
 *
 * Thread-safety is stated per function. Every function of this version may be called from any
 * thread, also concurrently on one handle. A release that races with calls on the same handle
 * is safe: the calls already running finish normally, the last of them destroys the object,
 * and calls that start after the release get VOXLINE_E_INVALID_ARGUMENT.
 */
#ifndef VOXLINE_H
#define VOXLINE_H

#include <stddef.h>
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

/* Sends every log line of the library (the process-wide logger) to `fn` from now on, instead of
 * dropping and counting it (the default, see "Logging" above); fn NULL discards every line
 * without counting it. `user_data` is passed to `fn` untouched.
 * `user_data_free` (may be NULL) runs once with `user_data` when no call into `fn` can happen
 * any more: after a later voxline_log_set_sink replaced this sink and every call already in
 * flight returned, possibly on a logging thread; right away when `fn` is NULL or this call
 * fails. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_log_set_sink(voxline_log_fn fn, void *user_data,
                                                  void (*user_data_free)(void *user_data));

/* Drops lines below `level` (default VOXLINE_LOG_WARN). VOXLINE_E_INVALID_ARGUMENT for a value
 * outside VOXLINE_LOG_TRACE..VOXLINE_LOG_OFF. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_log_set_level(voxline_log_level level);

/* ---- Returned buffers ----------------------------------------------------------------------
 * Buffers the library allocates for the caller (JSON text, token arrays) are owned by the
 * caller and released with the free function their producer names, never with free(). */

/* Releases a string returned by voxline (voxline_database_health_json, ...). NULL does nothing.
 * Any thread. Since 0.1. */
VOXLINE_C_API void voxline_string_free(char *s);

/* ---- Tokenizer -----------------------------------------------------------------------------
 * Exact tiktoken-compatible BPE (o200k_base, cl100k_base) over compiled-in tables: no files.
 * Text is encoded "ordinary": special-token strings such as "<|endoftext|>" count as plain text.
 *
 *   voxline_tokenizer *tok = NULL;
 *   if (voxline_tokenizer_open(&tok, "gpt-4o") != VOXLINE_OK) return;   // or "o200k_base"
 *   size_t n = 0;
 *   voxline_tokenizer_count(tok, "hello world", 11, &n);                 // n == 2
 *   voxline_tokenizer_free(tok);
 *
 * Misuse: a NULL, freed or wrong handle is VOXLINE_E_INVALID_ARGUMENT, never a crash (as long as
 * no newer handle reuses a freed one's address). */
typedef struct voxline_tokenizer voxline_tokenizer;

/* Opens the tokenizer of `name`, an encoding ("o200k_base", "cl100k_base") or a model
 * ("gpt-4o", "gpt-4.1-mini", "gpt-4", "ft:gpt-4o-mini:acme::x"; tiktoken's model table).
 * `name` is NUL-terminated UTF-8, read during the call only. The caller owns *out and releases
 * it with voxline_tokenizer_free; *out is NULL after a failure. The tables are built once per
 * process on first use (tens of milliseconds) and shared by every tokenizer.
 * VOXLINE_E_NOT_FOUND for an unknown model or encoding; VOXLINE_E_INVALID_ARGUMENT for NULL.
 * Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_tokenizer_open(voxline_tokenizer **out, const char *name);

/* Sets *count to the number of tokens of the `len` bytes at `utf8` (not NUL-terminated; NULL
 * only with len 0). Any byte string is accepted: a byte that is not well-formed UTF-8 counts as
 * U+FFFD for word splitting and is encoded as a raw byte. Any thread, also concurrently on one
 * tokenizer. Since 0.1. */
VOXLINE_C_API voxline_status voxline_tokenizer_count(const voxline_tokenizer *tok, const char *utf8,
                                                     size_t len, size_t *count);

/* Encodes the `len` bytes at `utf8` (as voxline_tokenizer_count) into a new array of token ids:
 * *tokens (caller-owned, released with voxline_tokens_free; NULL when *n is 0) and *n. Both are
 * NULL/0 after a failure. Any thread, also concurrently on one tokenizer. Since 0.1. */
VOXLINE_C_API voxline_status voxline_tokenizer_encode(const voxline_tokenizer *tok, const char *utf8,
                                                      size_t len, uint32_t **tokens, size_t *n);

/* Releases an array returned by voxline_tokenizer_encode. NULL does nothing. Any thread.
 * Since 0.1. */
VOXLINE_C_API void voxline_tokens_free(uint32_t *tokens);

/* Writes the bytes of the `n` token ids at `tokens` (NULL only with n 0) into `buf` followed by
 * a NUL, and sets *needed (may be NULL) to their length without the NUL. The bytes may contain
 * NUL themselves and may end inside a UTF-8 character when the ids cut one. When `cap` is less
 * than length + 1, nothing is written and the result is VOXLINE_E_BUFFER_TOO_SMALL (buf may be
 * NULL with cap 0 to ask for the length). VOXLINE_E_INVALID_ARGUMENT names an id that is not in
 * the vocabulary. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_tokenizer_decode(const voxline_tokenizer *tok, const uint32_t *tokens,
                                                      size_t n, char *buf, size_t cap, size_t *needed);

/* The encoding name ("o200k_base"); static storage, never NULL ("" for an invalid handle, with
 * the message set). Any thread. Since 0.1. */
VOXLINE_C_API const char *voxline_tokenizer_encoding(const voxline_tokenizer *tok);

/* Releases the tokenizer. NULL does nothing; freeing twice is guarded (the second call does
 * nothing) unless a newer tokenizer got the same address. Any thread; calls still running on it
 * finish first. Since 0.1. */
VOXLINE_C_API void voxline_tokenizer_free(voxline_tokenizer *tok);

/* ---- Options structs -----------------------------------------------------------------------
 * Every options struct starts with `unsigned version`. Fill one with its *_options_init(&o,
 * VOXLINE_X_OPTIONS_VERSION), then change fields; the library reads only the fields of that
 * version and rejects versions it does not know (0 or newer than itself) with
 * VOXLINE_E_INVALID_ARGUMENT. Fields are only ever appended. A NULL options pointer means every
 * default. */

/* ---- Database ------------------------------------------------------------------------------
 * The SQL store the service-desk tools write to: a SQLite file (WAL, foreign keys on, FULL
 * sync) with a bounded connection pool. PostgreSQL URLs are refused with VOXLINE_E_UNSUPPORTED
 * by this version.
 *
 *   voxline_database *db = NULL;
 *   if (voxline_database_open(&db, "/var/lib/shop/voxline.db", NULL) != VOXLINE_OK) return;
 *   char *health = NULL;
 *   if (voxline_database_health_json(db, 0, &health) == VOXLINE_OK) puts(health);
 *   voxline_string_free(health);
 *   voxline_database_close(db);
 */
typedef struct voxline_database voxline_database;

#define VOXLINE_DATABASE_OPTIONS_VERSION 1

typedef struct voxline_database_options {
  unsigned version;        /* VOXLINE_DATABASE_OPTIONS_VERSION the caller was built with */
  unsigned pool_size;      /* connections at most, 1..1024; default 4 */
  int64_t busy_timeout_ms; /* lock waits are retried this long, then TIMEOUT; default 5000 */
} voxline_database_options;

/* Sets every field of *o to its default and o->version to `version`. VOXLINE_E_INVALID_ARGUMENT
 * for NULL or an unknown version. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_database_options_init(voxline_database_options *o, unsigned version);

/* Opens the database `url_or_path` names:
 *   - a file path, or "sqlite:///abs/path", "sqlite://rel/path", "sqlite:rel/path": a SQLite file,
 *     created if needed (":memory:" is refused: the pool needs a file);
 *   - "postgresql://[user[:password]@][host][:port][/db][?k=v...]" (also "postgres://"): a
 *     PostgreSQL server, one connection opened now (busy_timeout_ms does not apply).
 * Any other "scheme://" gives VOXLINE_E_INVALID_ARGUMENT naming the scheme only (a URL may hold a
 * password). The string and `opts` (may be NULL) are read during the call only. The caller owns
 * *out (NULL after a failure) and releases it with voxline_database_close. VOXLINE_E_UNAVAILABLE
 * when the file cannot be opened or is not a SQLite database, or the server cannot be reached;
 * VOXLINE_E_NOT_FOUND / VOXLINE_E_UNAUTHENTICATED when the server refuses the database / login.
 * Blocks while it opens the file or connects. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_database_open(voxline_database **out, const char *url_or_path,
                                                   const voxline_database_options *opts);

/* Probes the database (SQLite: the file is still the one opened, then PRAGMA integrity_check)
 * within `timeout_ms` (<= 0: 30 s) and returns the health report as a new NUL-terminated JSON
 * string in *json: {"ok":..,"version":..,"checks":[{"component":"storage.sqlite","ok":..,
 * "detail":..,"latency_ms":..}]}. A failing probe is still VOXLINE_OK, with "ok":false and the
 * problem in "detail". The caller owns *json (NULL after a failure) and releases it with
 * voxline_string_free. Any thread, also concurrently on one database. Since 0.1. */
VOXLINE_C_API voxline_status voxline_database_health_json(voxline_database *db, int64_t timeout_ms,
                                                          char **json);

/* Sets *version to the schema version recorded in the database (0 for a new file). Any thread.
 * Since 0.1. */
VOXLINE_C_API voxline_status voxline_database_schema_version(voxline_database *db, int *version);

/* Closes every connection and releases the database. NULL does nothing; closing twice is
 * guarded (the second call does nothing) unless a newer database got the same address. Any
 * thread; calls still running on it finish first, and the last of them closes the connections
 * (otherwise this call does, before it returns). Since 0.1. */
VOXLINE_C_API void voxline_database_close(voxline_database *db);

/* ---- Session store -------------------------------------------------------------------------
 * Per-call JSON documents with a TTL and a version number, shared by one process ("memory://")
 * or a fleet ("redis://[[user]:password@]host[:port][/db]"). Every operation takes a timeout in
 * milliseconds (> 0) and returns VOXLINE_E_TIMEOUT or VOXLINE_E_UNAVAILABLE instead of blocking
 * past it. Call ids are 1..256 bytes of printable ASCII without spaces, '{' or '}'; documents
 * are JSON objects of at most 1 MiB; TTLs are 1 ms..30 days.
 *
 *   voxline_session_store *st = NULL;
 *   voxline_session_store_open(&st, "memory://", NULL);
 *   uint64_t v = 0;
 *   voxline_session_store_put(st, "call-1", "{\"step\":1}", 60000, VOXLINE_NEW_SESSION, 500, &v);
 *   voxline_session_store_close(st);
 */
typedef struct voxline_session_store voxline_session_store;

/* expected_version values of voxline_session_store_put besides an exact version. */
#define VOXLINE_ANY_VERSION UINT64_MAX /* write unconditionally */
#define VOXLINE_NEW_SESSION 0          /* write only if no live document exists */

#define VOXLINE_SESSION_STORE_OPTIONS_VERSION 1

typedef struct voxline_session_store_options {
  unsigned version;       /* VOXLINE_SESSION_STORE_OPTIONS_VERSION the caller was built with */
  const char *key_prefix; /* Redis key prefix, copied; NULL or "" for the default "voxline" */
  unsigned pool_size;     /* Redis connections at most, 1..1024; default 4 */
} voxline_session_store_options;

/* Sets every field of *o to its default and o->version to `version`. VOXLINE_E_INVALID_ARGUMENT
 * for NULL or an unknown version. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_session_store_options_init(voxline_session_store_options *o,
                                                                unsigned version);

/* Creates the store `url` names ("memory://" or a redis:// URL). A Redis store connects lazily,
 * so this never blocks; the first operation (or voxline_session_store_health_json) connects.
 * VOXLINE_E_INVALID_ARGUMENT for an unknown scheme or bad options, VOXLINE_E_UNSUPPORTED for
 * rediss://. `url` and `opts` (may be NULL) are copied. The caller owns *out (NULL after a
 * failure) and releases it with voxline_session_store_close. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_session_store_open(voxline_session_store **out, const char *url,
                                                        const voxline_session_store_options *opts);

/* Reads the live document of `call_id`: *json is a new compact JSON string (caller-owned,
 * released with voxline_string_free; NULL after a failure); *version (may be NULL) its version
 * (1 after the first put); *ttl_remaining_ms (may be NULL) the time until it expires.
 * VOXLINE_E_NOT_FOUND when there is none or it expired. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_session_store_get(voxline_session_store *st, const char *call_id,
                                                       int64_t timeout_ms, char **json, uint64_t *version,
                                                       int64_t *ttl_remaining_ms);

/* Replaces the document of `call_id` with `json` (a JSON object, NUL-terminated, copied) that
 * expires after `ttl_ms`, if `expected_version` allows: VOXLINE_ANY_VERSION always,
 * VOXLINE_NEW_SESSION only when none exists (else VOXLINE_E_CONFLICT), an exact version only when
 * the live one has it (VOXLINE_E_NOT_FOUND when none exists, VOXLINE_E_CONFLICT when it differs).
 * Sets *new_version (may be NULL) to the version written. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_session_store_put(voxline_session_store *st, const char *call_id,
                                                       const char *json, int64_t ttl_ms,
                                                       uint64_t expected_version, int64_t timeout_ms,
                                                       uint64_t *new_version);

/* Removes the document of `call_id`; VOXLINE_E_NOT_FOUND when there was none. Any thread.
 * Since 0.1. */
VOXLINE_C_API voxline_status voxline_session_store_delete(voxline_session_store *st, const char *call_id,
                                                          int64_t timeout_ms);

/* Pings the backend within `timeout_ms` (<= 0: 1 s) and returns the health report as a new JSON
 * string in *json (format of voxline_database_health_json, component
 * "storage.session_store.<backend>"). An unreachable Redis is VOXLINE_OK with "ok":false. The
 * caller owns *json and releases it with voxline_string_free. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_session_store_health_json(voxline_session_store *st, int64_t timeout_ms,
                                                               char **json);

/* Releases the store (a memory store's documents are gone). NULL does nothing; closing twice is
 * guarded unless a newer store got the same address. Any thread; calls still running on it
 * finish first, and the last of them releases the store. Since 0.1. */
VOXLINE_C_API void voxline_session_store_close(voxline_session_store *st);

/* ---- Runtime -------------------------------------------------------------------------------
 * The process's network engine: a fixed number of slot threads (one event loop each) that run
 * every session's websockets, HTTP streams and timers. Process-wide setup (libcurl) happens once
 * inside the first voxline_runtime_create, never at load time. A host usually creates one.
 *
 *   voxline_runtime_options o;
 *   voxline_runtime_options_init(&o, VOXLINE_RUNTIME_OPTIONS_VERSION);
 *   o.slots = 2;
 *   voxline_runtime *rt = NULL;
 *   if (voxline_runtime_create(&rt, &o) != VOXLINE_OK) return;
 *   voxline_runtime_destroy(rt);
 */
typedef struct voxline_runtime voxline_runtime;

#define VOXLINE_RUNTIME_OPTIONS_VERSION 1

typedef struct voxline_runtime_options {
  unsigned version; /* VOXLINE_RUNTIME_OPTIONS_VERSION the caller was built with */
  int slots;        /* slot threads, 1..16; default 1 */
} voxline_runtime_options;

/* Sets every field of *o to its default and o->version to `version`. VOXLINE_E_INVALID_ARGUMENT
 * for NULL or an unknown version. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_runtime_options_init(voxline_runtime_options *o, unsigned version);

/* Starts a runtime: its slot threads and DNS resolver. `opts` (may be NULL: defaults) is read
 * during the call only. The caller owns *out (NULL after a failure) and releases it with
 * voxline_runtime_destroy. VOXLINE_E_INVALID_ARGUMENT for slots out of range;
 * VOXLINE_E_FAILED_PRECONDITION when the open-file limit is too low; VOXLINE_E_INTERNAL when an
 * event loop cannot start. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_runtime_create(voxline_runtime **out,
                                                    const voxline_runtime_options *opts);

/* Sets *slots to the number of slot threads the runtime runs. Any thread. Since 0.1. */
VOXLINE_C_API voxline_status voxline_runtime_slot_count(const voxline_runtime *rt, int *slots);

/* Returns the metrics the runtime reports into as a new NUL-terminated JSON string in *json:
 * {"counters":{"voxline_net_timeouts_total{phase=\"dns\"}":0,...},"gauges":{...},"histograms":
 * {"name{labels}":{"count":..,"sum":..,"p50":..,"p90":..,"p99":..}}}. A runtime created here
 * reports into the process-wide registry, so the values add up every runtime of the process
 * and include the library's own counters (voxline_log_dropped_total, ...). The caller owns *json
 * (NULL after a failure) and releases it with voxline_string_free. VOXLINE_E_INVALID_ARGUMENT for
 * a NULL or released runtime or a NULL json. Any thread. Since 0.2. */
VOXLINE_C_API voxline_status voxline_runtime_metrics_json(const voxline_runtime *rt, char **json);

/* The same metrics as voxline_runtime_metrics_json, as Prometheus text exposition format 0.0.4
 * ("# HELP", "# TYPE" and sample lines) in a new NUL-terminated string in *text, ready to serve
 * on a /metrics endpoint. The caller owns *text (NULL after a failure) and releases it with
 * voxline_string_free. Any thread. Since 0.2. */
VOXLINE_C_API voxline_status voxline_runtime_metrics_prometheus(const voxline_runtime *rt, char **text);

/* Probes the runtime within `timeout_ms` (<= 0: 1 s) and returns the health report as a new JSON
 * string in *json (format of voxline_database_health_json) with the checks "core.clock" (the
 * monotonic and wall clocks), "net.slot.<i>" per slot thread (a task posted to it ran) and
 * "net.dns" (the resolver answered "localhost", possibly from its cache). Every probe starts at
 * once and the call never waits past the timeout: a slot blocked by a host callback, a slot whose
 * task queue is full and a resolver stuck in a lookup each give "ok":false with the reason in
 * "detail", and the call is still VOXLINE_OK. The caller owns *json (NULL after a failure) and
 * releases it with voxline_string_free. VOXLINE_E_INVALID_ARGUMENT for a NULL or released
 * runtime, a NULL json or a timeout over one day. Any thread; called from a runtime thread (a
 * callback) it blocks that slot while it waits, so prefer a host thread. Since 0.2. */
VOXLINE_C_API voxline_status voxline_runtime_health_json(const voxline_runtime *rt, int64_t timeout_ms,
                                                         char **json);

/* Stops the runtime: ends every live connection, runs no pending task, joins its threads, and
 * releases it. NULL does nothing; destroying twice is guarded unless a newer runtime got the
 * same address. Blocks until the threads have exited, unless a call on the runtime is still
 * running in another thread: that call stops it when it returns. Any thread except the
 * runtime's own. Since 0.1. */
VOXLINE_C_API void voxline_runtime_destroy(voxline_runtime *rt);

#ifdef __cplusplus
}
#endif

#endif /* VOXLINE_H */
