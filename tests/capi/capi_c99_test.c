/* The C ABI from a strict C99 program (-std=c99 -Wall -Wextra -pedantic -Werror): every
 * function of voxline.h in normal use and in misuse (NULL handles and arguments, freed handles,
 * wrong handle kinds, calls in the wrong order, double frees the header documents as guarded).
 * Argument: none. $VOXLINE_TEST_REDIS_URL, when set (tests/capi/with_redis), adds the Redis
 * session store; the memory store always runs. $VOXLINE_TEST_POSTGRES_URL, when set
 * (tests/capi/with_postgres), adds a PostgreSQL database; SQLite always runs.
 * Prints one line per failed check and exits 1 if any failed. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, nanosleep */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "voxline.h"

static int failures;
static int checks;

#define CHECK(cond)                                                                             \
  do {                                                                                          \
    checks++;                                                                                   \
    if (!(cond)) {                                                                              \
      failures++;                                                                               \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: '%s'\n", __FILE__, __LINE__, #cond, \
              voxline_last_error_message());                                                    \
    }                                                                                           \
  } while (0)

/* `call` returned `code` and the thread's message contains `needle`. */
#define CHECK_FAILS(call, code, needle)                                                                   \
  do {                                                                                                    \
    voxline_status st_ = (call);                                                                          \
    checks++;                                                                                             \
    if (st_ != (code) || strstr(voxline_last_error_message(), (needle)) == NULL) {                        \
      failures++;                                                                                         \
      fprintf(stderr, "%s:%d: %s returned %s, message '%s'; expected %s with '%s'\n", __FILE__, __LINE__, \
              #call, voxline_status_str(st_), voxline_last_error_message(), voxline_status_str(code),     \
              (needle));                                                                                  \
    }                                                                                                     \
  } while (0)

static void test_tokenizer(void) {
  voxline_tokenizer *tok = NULL;
  voxline_tokenizer *cl = NULL;
  uint32_t *ids = NULL;
  size_t n = 99;
  size_t needed = 0;
  char small[4];
  char buf[64];
  static const char hello[] = "hello world";
  static const char bad_utf8[] = "caf\xc3 \xff";

  CHECK(voxline_tokenizer_open(&tok, "gpt-4o") == VOXLINE_OK && tok != NULL);
  CHECK(strcmp(voxline_tokenizer_encoding(tok), "o200k_base") == 0);
  CHECK(voxline_tokenizer_count(tok, hello, strlen(hello), &n) == VOXLINE_OK && n == 2);
  CHECK(voxline_tokenizer_encode(tok, hello, strlen(hello), &ids, &n) == VOXLINE_OK);
  CHECK(n == 2 && ids != NULL && ids[0] == 24912 && ids[1] == 2375);

  /* decode: caller buffer, BUFFER_TOO_SMALL with *needed, then the round trip */
  CHECK_FAILS(voxline_tokenizer_decode(tok, ids, n, small, sizeof small, &needed), VOXLINE_E_BUFFER_TOO_SMALL,
              "needs 12 bytes");
  CHECK(needed == 11);
  CHECK(voxline_tokenizer_decode(tok, ids, n, NULL, 0, &needed) == VOXLINE_E_BUFFER_TOO_SMALL &&
        needed == 11);
  CHECK(voxline_tokenizer_decode(tok, ids, n, buf, sizeof buf, &needed) == VOXLINE_OK && needed == 11 &&
        strcmp(buf, hello) == 0);
  voxline_tokens_free(ids);
  ids = NULL;

  /* empty text: no array, zero tokens; NULL text is fine with length 0 */
  CHECK(voxline_tokenizer_encode(tok, NULL, 0, &ids, &n) == VOXLINE_OK && ids == NULL && n == 0);
  CHECK(voxline_tokenizer_count(tok, "", 0, &n) == VOXLINE_OK && n == 0);
  voxline_tokens_free(NULL);

  /* invalid UTF-8 is accepted and survives the round trip byte for byte */
  CHECK(voxline_tokenizer_encode(tok, bad_utf8, sizeof bad_utf8 - 1, &ids, &n) == VOXLINE_OK && n > 0);
  CHECK(voxline_tokenizer_decode(tok, ids, n, buf, sizeof buf, &needed) == VOXLINE_OK &&
        needed == sizeof bad_utf8 - 1 && memcmp(buf, bad_utf8, needed) == 0);
  voxline_tokens_free(ids);
  ids = NULL;

  /* special-token text is ordinary text */
  CHECK(voxline_tokenizer_count(tok, "<|endoftext|>", 13, &n) == VOXLINE_OK && n > 1);

  /* a second encoding by its own name */
  CHECK(voxline_tokenizer_open(&cl, "cl100k_base") == VOXLINE_OK);
  CHECK(strcmp(voxline_tokenizer_encoding(cl), "cl100k_base") == 0);
  CHECK(voxline_tokenizer_encode(cl, hello, strlen(hello), &ids, &n) == VOXLINE_OK && n == 2 &&
        ids[0] == 15339 && ids[1] == 1917);
  voxline_tokens_free(ids);
  ids = NULL;

  /* misuse */
  CHECK_FAILS(voxline_tokenizer_open(&cl, "gpt-9000-turbo"), VOXLINE_E_NOT_FOUND,
              "unknown model 'gpt-9000-turbo'");
  CHECK(cl == NULL);
  CHECK_FAILS(voxline_tokenizer_open(NULL, "gpt-4o"), VOXLINE_E_INVALID_ARGUMENT, "NULL out");
  CHECK_FAILS(voxline_tokenizer_open(&cl, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL tokenizer name");
  CHECK_FAILS(voxline_tokenizer_count(NULL, hello, 5, &n), VOXLINE_E_INVALID_ARGUMENT,
              "NULL tokenizer handle");
  CHECK(n == 0);
  CHECK_FAILS(voxline_tokenizer_count(tok, NULL, 5, &n), VOXLINE_E_INVALID_ARGUMENT, "NULL text");
  CHECK_FAILS(voxline_tokenizer_count(tok, hello, 5, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL count");
  CHECK_FAILS(voxline_tokenizer_encode(NULL, hello, 5, &ids, &n), VOXLINE_E_INVALID_ARGUMENT,
              "NULL tokenizer");
  CHECK_FAILS(voxline_tokenizer_encode(tok, hello, 5, NULL, &n), VOXLINE_E_INVALID_ARGUMENT, "NULL tokens");
  CHECK_FAILS(voxline_tokenizer_decode(tok, NULL, 3, buf, sizeof buf, &needed), VOXLINE_E_INVALID_ARGUMENT,
              "NULL tokens");
  CHECK_FAILS(voxline_tokenizer_decode(tok, ids, 0, NULL, 8, &needed), VOXLINE_E_INVALID_ARGUMENT,
              "NULL buf");
  {
    const uint32_t unknown[1] = {4000000000u};
    CHECK_FAILS(voxline_tokenizer_decode(tok, unknown, 1, buf, sizeof buf, &needed),
                VOXLINE_E_INVALID_ARGUMENT, "4000000000");
  }
  CHECK(strcmp(voxline_tokenizer_encoding(NULL), "") == 0 &&
        strstr(voxline_last_error_message(), "NULL tokenizer") != NULL);

  /* freeing twice is guarded, and a freed handle is refused instead of dereferenced */
  voxline_tokenizer_free(cl);
  voxline_tokenizer_free(tok);
  voxline_tokenizer_free(tok);
  voxline_tokenizer_free(NULL);
  CHECK_FAILS(voxline_tokenizer_count(tok, hello, 5, &n), VOXLINE_E_INVALID_ARGUMENT, "is not live");
}

/* Log lines reach the host's sink (possibly from library threads), never stderr. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int redis_warnings;
static int log_lines;

static void record_line(const voxline_log_record *r, void *user_data) {
  (void)user_data;
  pthread_mutex_lock(&log_mu);
  log_lines++;
  if (r->version >= 1 && r->level == VOXLINE_LOG_WARN && strcmp(r->component, "session_store") == 0 &&
      strstr(r->message, "127.0.0.1:1") != NULL)
    redis_warnings++;
  pthread_mutex_unlock(&log_mu);
}

static int redis_warnings_seen(void) {
  int n;
  pthread_mutex_lock(&log_mu);
  n = redis_warnings;
  pthread_mutex_unlock(&log_mu);
  return n;
}

static void sleep_ms(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

static void test_database(const char *dir) {
  char path[512];
  char other[512];
  voxline_database *db = NULL;
  voxline_database *second = NULL;
  voxline_database_options o;
  char *json = NULL;
  int version = -1;
  FILE *f;

  snprintf(path, sizeof path, "%s/shop.db", dir);
  snprintf(other, sizeof other, "%s/not-a-database.db", dir);

  CHECK(voxline_database_open(&db, path, NULL) == VOXLINE_OK && db != NULL);
  CHECK(voxline_database_schema_version(db, &version) == VOXLINE_OK && version == 0);
  CHECK(voxline_database_health_json(db, 0, &json) == VOXLINE_OK && json != NULL);
  CHECK(json != NULL && strstr(json, "\"ok\":true") != NULL && strstr(json, "\"storage.sqlite\"") != NULL);
  voxline_string_free(json);
  json = NULL;
  CHECK(voxline_database_health_json(db, 5000, &json) == VOXLINE_OK && strstr(json, "\"ok\":true") != NULL);
  voxline_string_free(json);
  json = NULL;
  voxline_string_free(NULL);

  /* options: defaults, a second handle on the same file with a one-connection pool */
  CHECK(voxline_database_options_init(&o, VOXLINE_DATABASE_OPTIONS_VERSION) == VOXLINE_OK);
  CHECK(o.version == VOXLINE_DATABASE_OPTIONS_VERSION && o.pool_size == 4 && o.busy_timeout_ms == 5000);
  o.pool_size = 1;
  o.busy_timeout_ms = 100;
  CHECK(voxline_database_open(&second, path, &o) == VOXLINE_OK);
  CHECK(voxline_database_health_json(second, 0, &json) == VOXLINE_OK && strstr(json, "\"ok\":true") != NULL);
  voxline_string_free(json);
  json = NULL;
  voxline_database_close(second);

  /* misuse: options */
  CHECK_FAILS(voxline_database_options_init(NULL, 1), VOXLINE_E_INVALID_ARGUMENT,
              "NULL voxline_database_options");
  CHECK_FAILS(voxline_database_options_init(&o, 0), VOXLINE_E_INVALID_ARGUMENT, "version 0 is unknown");
  CHECK_FAILS(voxline_database_options_init(&o, 2), VOXLINE_E_INVALID_ARGUMENT, "version 2 is unknown");
  o.version = 7; /* as if never initialised */
  CHECK_FAILS(voxline_database_open(&second, path, &o), VOXLINE_E_INVALID_ARGUMENT, "_init first");
  CHECK(second == NULL);
  voxline_database_options_init(&o, VOXLINE_DATABASE_OPTIONS_VERSION);
  o.pool_size = 0;
  CHECK_FAILS(voxline_database_open(&second, path, &o), VOXLINE_E_INVALID_ARGUMENT, "pool_size 0");
  o.pool_size = 1;
  o.busy_timeout_ms = -1;
  CHECK_FAILS(voxline_database_open(&second, path, &o), VOXLINE_E_INVALID_ARGUMENT, "busy_timeout_ms");

  /* misuse: targets */
  /* nothing listens on port 1: refused at once, within connect_timeout at worst */
  CHECK_FAILS(
      voxline_database_open(&second, "postgresql://u:secret-pw@127.0.0.1:1/shop?connect_timeout=2", NULL),
      VOXLINE_E_UNAVAILABLE, "");
  CHECK(second == NULL && strstr(voxline_last_error_message(), "secret-pw") == NULL);
  CHECK_FAILS(voxline_database_open(&second, "ftp://host/x.db", NULL), VOXLINE_E_INVALID_ARGUMENT,
              "scheme 'ftp'");
  CHECK_FAILS(voxline_database_open(&second, "", NULL), VOXLINE_E_INVALID_ARGUMENT, "empty database path");
  CHECK_FAILS(voxline_database_open(&second, NULL, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL database path");
  CHECK_FAILS(voxline_database_open(NULL, path, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL out");
  CHECK(voxline_database_open(&second, ":memory:", NULL) != VOXLINE_OK && second == NULL);
  f = fopen(other, "wb");
  CHECK(f != NULL);
  if (f != NULL) {
    fputs("this is not a SQLite file, only text that is long enough to fill a header page......\n", f);
    fclose(f);
  }
  CHECK(voxline_database_open(&second, other, NULL) != VOXLINE_OK && second == NULL &&
        voxline_last_error_message()[0] != '\0');

  /* misuse: handles */
  CHECK_FAILS(voxline_database_health_json(NULL, 0, &json), VOXLINE_E_INVALID_ARGUMENT,
              "NULL database handle");
  CHECK(json == NULL);
  CHECK_FAILS(voxline_database_health_json(db, 0, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL json");
  CHECK_FAILS(voxline_database_schema_version(db, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL version");
  CHECK_FAILS(voxline_database_health_json(db, 1000LL * 3600 * 24 * 2, &json), VOXLINE_E_INVALID_ARGUMENT,
              "timeout_ms");
  {
    /* a handle of another kind is refused, not reinterpreted */
    voxline_tokenizer *tok = NULL;
    CHECK(voxline_tokenizer_open(&tok, "o200k_base") == VOXLINE_OK);
    CHECK_FAILS(voxline_database_health_json((voxline_database *)(void *)tok, 0, &json),
                VOXLINE_E_INVALID_ARGUMENT, "not a database");
    voxline_database_close((voxline_database *)(void *)tok); /* not a database: does nothing */
    CHECK(voxline_tokenizer_count(tok, "still alive", 11, NULL) == VOXLINE_E_INVALID_ARGUMENT);
    CHECK(strstr(voxline_last_error_message(), "NULL count") != NULL); /* the handle itself passed */
    voxline_tokenizer_free(tok);
  }

  voxline_database_close(db);
  voxline_database_close(db); /* guarded */
  voxline_database_close(NULL);
  CHECK_FAILS(voxline_database_schema_version(db, &version), VOXLINE_E_INVALID_ARGUMENT, "is not live");

  /* the file outlives the handle: reopened, it is still healthy */
  CHECK(voxline_database_open(&db, path, NULL) == VOXLINE_OK);
  CHECK(voxline_database_health_json(db, 0, &json) == VOXLINE_OK && strstr(json, "\"ok\":true") != NULL);
  voxline_string_free(json);
  voxline_database_close(db);
  remove(other);
}

/* The document operations against `url` (memory:// or redis://); `prefix` isolates runs. */
/* A PostgreSQL database through the same calls: open by URL, health, schema version, close. */
static void test_postgres(const char *url) {
  voxline_database *db = NULL;
  char *json = NULL;
  int version = -1;
  voxline_database_options o;
  CHECK(voxline_database_options_init(&o, VOXLINE_DATABASE_OPTIONS_VERSION) == VOXLINE_OK);
  o.pool_size = 2;
  CHECK(voxline_database_open(&db, url, &o) == VOXLINE_OK && db != NULL);
  CHECK(voxline_database_health_json(db, 0, &json) == VOXLINE_OK && json != NULL &&
        strstr(json, "\"ok\":true") != NULL && strstr(json, "storage.postgres") != NULL);
  voxline_string_free(json);
  CHECK(voxline_database_schema_version(db, &version) == VOXLINE_OK && version == 0);
  voxline_database_close(db);
}

static void exercise_session_store(const char *url, const char *prefix) {
  voxline_session_store *st = NULL;
  voxline_session_store *peer = NULL;
  voxline_session_store *stranger = NULL;
  voxline_session_store_options o;
  char *json = NULL;
  uint64_t v = 0;
  int64_t ttl = 0;
  const int is_memory = strncmp(url, "memory://", 9) == 0;

  CHECK(voxline_session_store_options_init(&o, VOXLINE_SESSION_STORE_OPTIONS_VERSION) == VOXLINE_OK);
  CHECK(o.key_prefix == NULL && o.pool_size == 4);
  o.key_prefix = prefix;
  o.pool_size = 2;
  CHECK(voxline_session_store_open(&st, url, &o) == VOXLINE_OK && st != NULL);
  if (st == NULL) return;

  CHECK(voxline_session_store_health_json(st, 0, &json) == VOXLINE_OK && json != NULL);
  CHECK(json != NULL && strstr(json, "\"ok\":true") != NULL &&
        strstr(json, is_memory ? "storage.session_store.memory" : "storage.session_store.redis") != NULL);
  voxline_string_free(json);
  json = NULL;

  CHECK(voxline_session_store_put(st, "call-1", "{ \"step\" : 1, \"name\": \"Ana\" }", 60000,
                                  VOXLINE_NEW_SESSION, 2000, &v) == VOXLINE_OK &&
        v == 1);
  CHECK(voxline_session_store_get(st, "call-1", 2000, &json, &v, &ttl) == VOXLINE_OK);
  CHECK(json != NULL && strcmp(json, "{\"step\":1,\"name\":\"Ana\"}") == 0 && v == 1 && ttl > 0 &&
        ttl <= 60000);
  voxline_string_free(json);
  json = NULL;
  CHECK_FAILS(voxline_session_store_put(st, "call-1", "{\"step\":9}", 60000, VOXLINE_NEW_SESSION, 2000, &v),
              VOXLINE_E_CONFLICT, "");
  CHECK(v == 0);
  CHECK(voxline_session_store_put(st, "call-1", "{\"step\":2}", 60000, 1, 2000, &v) == VOXLINE_OK && v == 2);
  CHECK(voxline_session_store_put(st, "call-1", "{\"step\":3}", 60000, 1, 2000, &v) == VOXLINE_E_CONFLICT);
  CHECK(voxline_session_store_put(st, "call-1", "{\"step\":4}", 60000, VOXLINE_ANY_VERSION, 2000, &v) ==
            VOXLINE_OK &&
        v == 3);
  CHECK(voxline_session_store_get(st, "call-1", 2000, &json, NULL, NULL) == VOXLINE_OK &&
        strcmp(json, "{\"step\":4}") == 0);
  voxline_string_free(json);
  json = NULL;

  /* a second handle with the same prefix shares the documents only over Redis */
  CHECK(voxline_session_store_open(&peer, url, &o) == VOXLINE_OK);
  CHECK(voxline_session_store_get(peer, "call-1", 2000, &json, &v, NULL) ==
        (is_memory ? VOXLINE_E_NOT_FOUND : VOXLINE_OK));
  CHECK(is_memory ? json == NULL : (json != NULL && strcmp(json, "{\"step\":4}") == 0 && v == 3));
  voxline_string_free(json);
  json = NULL;
  voxline_session_store_close(peer);
  if (!is_memory) {
    /* another prefix is another namespace */
    CHECK(voxline_session_store_open(&stranger, url, NULL) == VOXLINE_OK);
    CHECK(voxline_session_store_get(stranger, "call-1", 2000, &json, NULL, NULL) == VOXLINE_E_NOT_FOUND);
    voxline_session_store_close(stranger);
  }

  CHECK(voxline_session_store_delete(st, "call-1", 2000) == VOXLINE_OK);
  CHECK_FAILS(voxline_session_store_get(st, "call-1", 2000, &json, &v, &ttl), VOXLINE_E_NOT_FOUND, "");
  CHECK(json == NULL && v == 0 && ttl == 0);
  CHECK(voxline_session_store_delete(st, "call-1", 2000) == VOXLINE_E_NOT_FOUND);
  CHECK(voxline_session_store_put(st, "call-1", "{}", 60000, 4, 2000, &v) == VOXLINE_E_NOT_FOUND);

  /* the TTL expires the document */
  CHECK(voxline_session_store_put(st, "call-ttl", "{\"a\":true}", 60, VOXLINE_ANY_VERSION, 2000, &v) ==
        VOXLINE_OK);
  sleep_ms(200);
  CHECK(voxline_session_store_get(st, "call-ttl", 2000, &json, NULL, NULL) == VOXLINE_E_NOT_FOUND);

  /* misuse: arguments the C++ store checks, and the ones only the C layer sees */
  CHECK_FAILS(voxline_session_store_put(st, "bad id", "{}", 1000, VOXLINE_ANY_VERSION, 2000, &v),
              VOXLINE_E_INVALID_ARGUMENT, "");
  CHECK_FAILS(voxline_session_store_put(st, "call-2", "[1,2]", 1000, VOXLINE_ANY_VERSION, 2000, &v),
              VOXLINE_E_INVALID_ARGUMENT, "");
  CHECK_FAILS(
      voxline_session_store_put(st, "call-2", "{\"unterminated\"", 1000, VOXLINE_ANY_VERSION, 2000, &v),
      VOXLINE_E_INVALID_ARGUMENT, "");
  CHECK_FAILS(voxline_session_store_put(st, "call-2", "{}", 0, VOXLINE_ANY_VERSION, 2000, &v),
              VOXLINE_E_INVALID_ARGUMENT, "");
  CHECK_FAILS(voxline_session_store_put(st, "call-2", "{}", 1000, VOXLINE_ANY_VERSION, 0, &v),
              VOXLINE_E_INVALID_ARGUMENT, "timeout_ms 0");
  CHECK_FAILS(voxline_session_store_put(st, "call-2", NULL, 1000, VOXLINE_ANY_VERSION, 2000, &v),
              VOXLINE_E_INVALID_ARGUMENT, "NULL json");
  CHECK_FAILS(voxline_session_store_put(st, NULL, "{}", 1000, VOXLINE_ANY_VERSION, 2000, &v),
              VOXLINE_E_INVALID_ARGUMENT, "NULL call_id");
  CHECK_FAILS(voxline_session_store_get(st, "call-2", 2000, NULL, NULL, NULL), VOXLINE_E_INVALID_ARGUMENT,
              "NULL json");
  CHECK_FAILS(voxline_session_store_get(NULL, "call-2", 2000, &json, NULL, NULL), VOXLINE_E_INVALID_ARGUMENT,
              "NULL session store handle");
  CHECK_FAILS(voxline_session_store_delete(NULL, "call-2", 2000), VOXLINE_E_INVALID_ARGUMENT,
              "NULL session store");
  CHECK_FAILS(voxline_session_store_health_json(st, 0, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL json");

  voxline_session_store_close(st);
  voxline_session_store_close(st); /* guarded */
  CHECK_FAILS(voxline_session_store_delete(st, "call-2", 2000), VOXLINE_E_INVALID_ARGUMENT, "is not live");
}

static void test_session_store(void) {
  voxline_session_store *st = NULL;
  voxline_session_store_options o;
  char *json = NULL;
  const char *redis = getenv("VOXLINE_TEST_REDIS_URL");

  exercise_session_store("memory://", NULL);
  if (redis != NULL && redis[0] != '\0') {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "capi-c99-%ld", (long)getpid());
    exercise_session_store(redis, prefix);
    printf("redis session store: %s\n", redis);
  }

  /* a Redis that does not answer: open succeeds (lazy), operations fail within their timeout */
  CHECK(voxline_session_store_open(&st, "redis://127.0.0.1:1", NULL) == VOXLINE_OK);
  CHECK(voxline_session_store_get(st, "call-1", 500, &json, NULL, NULL) == VOXLINE_E_UNAVAILABLE &&
        json == NULL);
  CHECK(voxline_session_store_health_json(st, 500, &json) == VOXLINE_OK && json != NULL &&
        strstr(json, "\"ok\":false") != NULL);
  voxline_string_free(json);
  voxline_session_store_close(st);
  CHECK(redis_warnings_seen() > 0); /* the refused connect was logged, through the sink */

  CHECK_FAILS(voxline_session_store_open(&st, "foo://x", NULL), VOXLINE_E_INVALID_ARGUMENT, "");
  CHECK(st == NULL);
  CHECK_FAILS(voxline_session_store_open(&st, "rediss://h:6380", NULL), VOXLINE_E_UNSUPPORTED, "");
  CHECK_FAILS(voxline_session_store_open(&st, NULL, NULL), VOXLINE_E_INVALID_ARGUMENT,
              "NULL session store URL");
  CHECK_FAILS(voxline_session_store_open(NULL, "memory://", NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL out");
  CHECK_FAILS(voxline_session_store_options_init(&o, 3), VOXLINE_E_INVALID_ARGUMENT, "version 3 is unknown");
  voxline_session_store_options_init(&o, VOXLINE_SESSION_STORE_OPTIONS_VERSION);
  o.pool_size = 0;
  CHECK_FAILS(voxline_session_store_open(&st, "memory://", &o), VOXLINE_E_INVALID_ARGUMENT, "pool_size 0");
  o.version = 0;
  CHECK_FAILS(voxline_session_store_open(&st, "memory://", &o), VOXLINE_E_INVALID_ARGUMENT, "_init first");
  voxline_session_store_close(NULL);
}

/* The value after "<key>": in a metrics JSON object, or -1 when the key is absent. */
static long long metric_value(const char *json, const char *key) {
  char quoted[256];
  const char *at;
  snprintf(quoted, sizeof quoted, "\"%s\":", key);
  at = json != NULL ? strstr(json, quoted) : NULL;
  return at != NULL ? strtoll(at + strlen(quoted), NULL, 10) : -1;
}

/* DNS answers the runtimes of this process gave so far (lookups plus cache hits), -1 if unknown. */
static long long dns_answers(const voxline_runtime *rt) {
  char *json = NULL;
  long long lookups, hits;
  if (voxline_runtime_metrics_json(rt, &json) != VOXLINE_OK) return -1;
  lookups = metric_value(json, "voxline_net_dns_lookups_total");
  hits = metric_value(json, "voxline_net_dns_cache_hits_total");
  voxline_string_free(json);
  return lookups < 0 || hits < 0 ? -1 : lookups + hits;
}

/* Metrics and health of a live runtime, read as JSON and Prometheus text. */
static void test_runtime_metrics_and_health(void) {
  voxline_runtime *rt = NULL;
  voxline_runtime_options o;
  char *json = NULL;
  char *text = NULL;
  long long before, after;

  voxline_runtime_options_init(&o, VOXLINE_RUNTIME_OPTIONS_VERSION);
  o.slots = 2;
  CHECK(voxline_runtime_create(&rt, &o) == VOXLINE_OK && rt != NULL);

  /* gauges the runtime registers at start, and the resolver's counters */
  CHECK(voxline_runtime_metrics_json(rt, &json) == VOXLINE_OK && json != NULL);
  CHECK(json != NULL && strncmp(json, "{\"counters\":{", 13) == 0 && strstr(json, "\"gauges\":{") != NULL);
  CHECK(metric_value(json, "voxline_net_ws_connections_open") == 0);
  CHECK(metric_value(json, "voxline_net_http_streams_open") == 0);
  voxline_string_free(json);
  json = NULL;

  /* health: every slot ran a posted task and the resolver answered localhost */
  before = dns_answers(rt);
  CHECK(before >= 0);
  CHECK(voxline_runtime_health_json(rt, 5000, &json) == VOXLINE_OK && json != NULL);
  CHECK(json != NULL && strncmp(json, "{\"ok\":true,", 11) == 0);
  CHECK(json != NULL && strstr(json, "\"component\":\"net.slot.0\",\"ok\":true") != NULL &&
        strstr(json, "\"component\":\"net.slot.1\",\"ok\":true") != NULL &&
        strstr(json, "\"component\":\"net.dns\",\"ok\":true") != NULL &&
        strstr(json, "\"component\":\"core.clock\",\"ok\":true") != NULL &&
        strstr(json, "net.slot.2") == NULL);
  if (json != NULL && strstr(json, "\"ok\":false") != NULL) fprintf(stderr, "health: %s\n", json);
  voxline_string_free(json);
  json = NULL;
  /* the probe's lookup shows in the metrics it just read */
  after = dns_answers(rt);
  CHECK(after == before + 1);
  CHECK(voxline_runtime_health_json(rt, 0, &json) == VOXLINE_OK && strstr(json, "\"ok\":true") != NULL);
  voxline_string_free(json);
  json = NULL;
  CHECK(dns_answers(rt) == after + 1);

  CHECK(voxline_runtime_metrics_prometheus(rt, &text) == VOXLINE_OK && text != NULL);
  CHECK(text != NULL && strstr(text, "# TYPE voxline_net_dns_lookups_total counter\n") != NULL &&
        strstr(text, "\nvoxline_net_ws_connections_open 0\n") != NULL);
  voxline_string_free(text);
  text = NULL;

  /* misuse */
  CHECK_FAILS(voxline_runtime_metrics_json(NULL, &json), VOXLINE_E_INVALID_ARGUMENT, "NULL runtime handle");
  CHECK(json == NULL);
  CHECK_FAILS(voxline_runtime_metrics_json(rt, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL output");
  CHECK_FAILS(voxline_runtime_metrics_prometheus(NULL, &text), VOXLINE_E_INVALID_ARGUMENT, "NULL runtime");
  CHECK(text == NULL);
  CHECK_FAILS(voxline_runtime_metrics_prometheus(rt, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL output");
  CHECK_FAILS(voxline_runtime_health_json(NULL, 100, &json), VOXLINE_E_INVALID_ARGUMENT, "NULL runtime");
  CHECK(json == NULL);
  CHECK_FAILS(voxline_runtime_health_json(rt, 100, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL json");
  CHECK_FAILS(voxline_runtime_health_json(rt, 1000LL * 3600 * 24 * 2, &json), VOXLINE_E_INVALID_ARGUMENT,
              "timeout_ms");
  CHECK(json == NULL);
  {
    voxline_tokenizer *tok = NULL;
    CHECK(voxline_tokenizer_open(&tok, "o200k_base") == VOXLINE_OK);
    CHECK_FAILS(voxline_runtime_metrics_json((const voxline_runtime *)(void *)tok, &json),
                VOXLINE_E_INVALID_ARGUMENT, "not a runtime");
    voxline_tokenizer_free(tok);
  }
  voxline_runtime_destroy(rt);
  CHECK_FAILS(voxline_runtime_health_json(rt, 100, &json), VOXLINE_E_INVALID_ARGUMENT, "is not live");
  CHECK_FAILS(voxline_runtime_metrics_json(rt, &json), VOXLINE_E_INVALID_ARGUMENT, "is not live");
  CHECK(json == NULL);
}

static void test_runtime(void) {
  voxline_runtime *rt = NULL;
  voxline_runtime *two = NULL;
  voxline_runtime_options o;
  int slots = -1;

  CHECK(voxline_runtime_create(&rt, NULL) == VOXLINE_OK && rt != NULL);
  CHECK(voxline_runtime_slot_count(rt, &slots) == VOXLINE_OK && slots == 1);
  CHECK(voxline_runtime_options_init(&o, VOXLINE_RUNTIME_OPTIONS_VERSION) == VOXLINE_OK && o.slots == 1);
  o.slots = 3;
  CHECK(voxline_runtime_create(&two, &o) == VOXLINE_OK);
  CHECK(voxline_runtime_slot_count(two, &slots) == VOXLINE_OK && slots == 3);
  voxline_runtime_destroy(two);

  o.slots = 0;
  CHECK_FAILS(voxline_runtime_create(&two, &o), VOXLINE_E_INVALID_ARGUMENT, "");
  CHECK(two == NULL);
  o.slots = 17;
  CHECK_FAILS(voxline_runtime_create(&two, &o), VOXLINE_E_INVALID_ARGUMENT, "");
  o.version = 2;
  CHECK_FAILS(voxline_runtime_create(&two, &o), VOXLINE_E_INVALID_ARGUMENT, "version 2 is unknown");
  CHECK_FAILS(voxline_runtime_options_init(NULL, 1), VOXLINE_E_INVALID_ARGUMENT,
              "NULL voxline_runtime_options");
  CHECK_FAILS(voxline_runtime_create(NULL, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL out");
  CHECK_FAILS(voxline_runtime_slot_count(NULL, &slots), VOXLINE_E_INVALID_ARGUMENT, "NULL runtime handle");
  CHECK(slots == 0);
  CHECK_FAILS(voxline_runtime_slot_count(rt, NULL), VOXLINE_E_INVALID_ARGUMENT, "NULL slots");

  voxline_runtime_destroy(rt);
  voxline_runtime_destroy(rt); /* guarded */
  voxline_runtime_destroy(NULL);
  CHECK_FAILS(voxline_runtime_slot_count(rt, &slots), VOXLINE_E_INVALID_ARGUMENT, "is not live");
}

/* A release racing with calls on the same handle: the calls that started before it finish
 * normally (the last one destroys the object: under ASan a use-after-free here fails the test),
 * the ones after it are refused. */
struct racer {
  voxline_database *db;
  voxline_tokenizer *tok;
  int ok;
  int refused;
  int other;
};

static pthread_mutex_t race_mu = PTHREAD_MUTEX_INITIALIZER;

static void *race_calls(void *arg) {
  struct racer *r = (struct racer *)arg;
  int i;
  int done = 0;
  for (i = 0; i < 100000 && !done; ++i) {
    char *json = NULL;
    size_t n = 0;
    voxline_status a = voxline_database_health_json(r->db, 0, &json);
    voxline_status b = voxline_tokenizer_count(r->tok, "the quick brown fox", 19, &n);
    voxline_string_free(json);
    pthread_mutex_lock(&race_mu);
    if (a == VOXLINE_OK && b == VOXLINE_OK && n == 4)
      r->ok++;
    else if (a == VOXLINE_E_INVALID_ARGUMENT && b == VOXLINE_E_INVALID_ARGUMENT)
      r->refused++;
    else if (a != VOXLINE_OK && a != VOXLINE_E_INVALID_ARGUMENT)
      r->other++;
    done = r->refused > 3;
    pthread_mutex_unlock(&race_mu);
  }
  return NULL;
}

static void test_release_during_calls(const char *dir) {
  char path[512];
  struct racer r;
  pthread_t t;
  int waited;

  snprintf(path, sizeof path, "%s/race.db", dir);
  memset(&r, 0, sizeof r);
  CHECK(voxline_database_open(&r.db, path, NULL) == VOXLINE_OK);
  CHECK(voxline_tokenizer_open(&r.tok, "gpt-4o") == VOXLINE_OK);
  CHECK(pthread_create(&t, NULL, race_calls, &r) == 0);
  for (waited = 0; waited < 10000; ++waited) { /* until the calls run, at most 10 s */
    int ok;
    pthread_mutex_lock(&race_mu);
    ok = r.ok;
    pthread_mutex_unlock(&race_mu);
    if (ok >= 2) break;
    sleep_ms(1);
  }
  voxline_database_close(r.db);
  voxline_tokenizer_free(r.tok);
  pthread_join(t, NULL);
  CHECK(r.ok >= 2 && r.refused > 3 && r.other == 0);
  if (r.ok < 2 || r.refused <= 3 || r.other != 0)
    fprintf(stderr, "race: %d ok, %d refused, %d other\n", r.ok, r.refused, r.other);
  remove(path);
  snprintf(path, sizeof path, "%s/race.db-wal", dir);
  remove(path);
  snprintf(path, sizeof path, "%s/race.db-shm", dir);
  remove(path);
}

int main(void) {
  char dir[] = "/tmp/voxline-capi-c99-XXXXXX";
  char path[600];

  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  CHECK(voxline_log_set_sink(record_line, NULL, NULL) == VOXLINE_OK);
  test_tokenizer();
  test_database(dir);
  {
    const char *pg = getenv("VOXLINE_TEST_POSTGRES_URL");
    if (pg != NULL && pg[0] != '\0') {
      test_postgres(pg);
      printf("postgres database: checked\n");
    }
  }
  test_session_store();
  test_runtime();
  test_runtime_metrics_and_health();
  test_release_during_calls(dir);

  /* the SQLite file and its WAL side files; the directory itself */
  snprintf(path, sizeof path, "%s/shop.db", dir);
  remove(path);
  snprintf(path, sizeof path, "%s/shop.db-wal", dir);
  remove(path);
  snprintf(path, sizeof path, "%s/shop.db-shm", dir);
  remove(path);
  rmdir(dir);
  voxline_log_set_sink(NULL, NULL, NULL);

  printf("%d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
