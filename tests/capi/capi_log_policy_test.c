/* Rule 9 at the boundary, from a C99 program that never set a log sink before its first voxline
 * call: a warning the library logs (a refused Redis connect) reaches neither stderr nor stdout
 * but is dropped and counted in voxline_log_dropped_total{level="warn"}; once the host sets a
 * sink with voxline_log_set_sink, the next warning reaches it (and stderr stays silent).
 * Argument: none. Exits 1 if a check failed (each failure is printed after fd 2 is restored). */
#define _POSIX_C_SOURCE 200809L /* mkstemp, dup, fileno */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "voxline.h"

static int failures;
static char report[4096];

#define CHECK(cond)                                                                                 \
  do {                                                                                              \
    if (!(cond)) {                                                                                  \
      size_t used_ = strlen(report);                                                                \
      failures++;                                                                                   \
      snprintf(report + used_, sizeof report - used_, "%s:%d: CHECK(%s) failed; last error '%s'\n", \
               __FILE__, __LINE__, #cond, voxline_last_error_message());                            \
    }                                                                                               \
  } while (0)

/* The sink may run on a library thread. */
static pthread_mutex_t sink_mu = PTHREAD_MUTEX_INITIALIZER;
static int host_warnings_;

static void host_sink(const voxline_log_record *r, void *user_data) {
  (void)user_data;
  if (r->level == VOXLINE_LOG_WARN && strcmp(r->component, "session_store") == 0 &&
      strstr(r->message, "127.0.0.1:1") != NULL) {
    pthread_mutex_lock(&sink_mu);
    host_warnings_++;
    pthread_mutex_unlock(&sink_mu);
  }
}

static int host_warnings(void) {
  int n;
  pthread_mutex_lock(&sink_mu);
  n = host_warnings_;
  pthread_mutex_unlock(&sink_mu);
  return n;
}

/* Opens a store on a port where nothing listens and reads from it: the refused connect logs one
 * WARN line ("redis connect failed ...") per store. */
static void provoke_warning(void) {
  voxline_session_store *st = NULL;
  char *json = NULL;
  CHECK(voxline_session_store_open(&st, "redis://127.0.0.1:1", NULL) == VOXLINE_OK);
  CHECK(voxline_session_store_get(st, "call-1", 500, &json, NULL, NULL) == VOXLINE_E_UNAVAILABLE);
  voxline_session_store_close(st);
}

/* voxline_log_dropped_total{level="warn"} of the process-wide registry, -1 if absent. */
static long long dropped_warnings(const voxline_runtime *rt) {
  static const char key[] = "\"voxline_log_dropped_total{level=\\\"warn\\\"}\":";
  char *json = NULL;
  const char *at;
  long long n = -1;
  if (voxline_runtime_metrics_json(rt, &json) != VOXLINE_OK) return -1;
  at = strstr(json, key);
  if (at != NULL) n = strtoll(at + strlen(key), NULL, 10);
  voxline_string_free(json);
  return n;
}

int main(void) {
  char path[] = "/tmp/voxline-log-policy-XXXXXX";
  char captured[4096];
  voxline_runtime *rt = NULL;
  long long dropped = -1;
  size_t got;
  FILE *in;
  const int saved_err = dup(2);
  const int saved_out = dup(1);
  const int fd = mkstemp(path);

  if (fd < 0 || saved_err < 0 || saved_out < 0) {
    perror("capture setup");
    return 1;
  }
  /* fds 1 and 2 into the file from before the first voxline call until after the last one */
  fflush(stdout);
  fflush(stderr);
  dup2(fd, 2);
  dup2(fd, 1);

  CHECK(voxline_runtime_create(&rt, NULL) == VOXLINE_OK);
  CHECK(dropped_warnings(rt) == 0); /* registered by the first call, nothing dropped yet */
  provoke_warning();
  dropped = dropped_warnings(rt);
  CHECK(dropped == 1);

  CHECK(voxline_log_set_sink(host_sink, NULL, NULL) == VOXLINE_OK);
  provoke_warning();
  CHECK(host_warnings() == 1);
  CHECK(dropped_warnings(rt) == dropped); /* the host's sink got it: not dropped */

  CHECK(voxline_log_set_sink(NULL, NULL, NULL) == VOXLINE_OK); /* silenced by the host */
  provoke_warning();
  CHECK(host_warnings() == 1);
  CHECK(dropped_warnings(rt) == dropped); /* silence is the host's choice: not counted */
  voxline_runtime_destroy(rt);

  fflush(stdout);
  fflush(stderr);
  dup2(saved_err, 2);
  dup2(saved_out, 1);
  in = fdopen(fd, "rb");
  got = 0;
  if (in != NULL) {
    rewind(in);
    got = fread(captured, 1, sizeof captured - 1, in);
    fclose(in);
  }
  captured[got] = '\0';
  remove(path);
  CHECK(got == 0);
  if (got != 0) fprintf(stderr, "the library wrote to stdout/stderr:\n%s\n", captured);
  fputs(report, stderr);
  printf("log policy: %lld warning(s) dropped and counted, %d reached the host's sink, %s\n", dropped,
         host_warnings(), failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
