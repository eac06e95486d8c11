/* voxline-runtime-status: starts a runtime through the C ABI alone and prints its health report
 * (JSON), or its metrics (--metrics: JSON, --prometheus: Prometheus text), the way a C host
 * serves /healthz and /metrics. Library log lines go to the host's sink, here stderr with a
 * "voxline:" prefix. Exit 0 when healthy (or metrics printed), 1 when a voxline call fails or a
 * check failed, 2 for a usage error.
 *
 *   voxline-runtime-status --slots 2 --timeout-ms 500
 *   {"ok":true,"version":"0.2.0","checks":[{"component":"core.clock",...},{"component":"net.slot.0",...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxline.h"

static const char usage[] =
    "usage: voxline-runtime-status [--slots N] [--timeout-ms MS] [--metrics | --prometheus]\n"
    "  --slots N        slot threads of the runtime, 1..16; default 1\n"
    "  --timeout-ms MS  how long the health probes may take; default 1000\n"
    "  --metrics        print the metrics as JSON instead of the health report\n"
    "  --prometheus     print the metrics as Prometheus text instead of the health report\n";

/* The host's log sink: one line per library log line, on whichever thread logged. */
static void print_line(const voxline_log_record *r, void *user_data) {
  static const char *const names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};
  (void)user_data;
  fprintf(stderr, "voxline: %s [%s] %s\n",
          r->level >= 0 && r->level <= VOXLINE_LOG_ERROR ? names[r->level] : "?", r->component, r->message);
}

static int fail(const char *what) {
  fprintf(stderr, "voxline-runtime-status: %s: %s\n", what, voxline_last_error_message());
  return 1;
}

int main(int argc, char **argv) {
  voxline_runtime_options o;
  voxline_runtime *rt = NULL;
  long timeout_ms = 1000;
  int metrics = 0; /* 0 health, 1 JSON metrics, 2 Prometheus text */
  char *out = NULL;
  voxline_status st;
  int rc = 0;
  int i;

  if (voxline_log_set_sink(print_line, NULL, NULL) != VOXLINE_OK) return fail("cannot set the log sink");
  voxline_runtime_options_init(&o, VOXLINE_RUNTIME_OPTIONS_VERSION);
  for (i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      return 0;
    } else if (strcmp(argv[i], "--slots") == 0 && i + 1 < argc) {
      o.slots = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
      timeout_ms = atol(argv[++i]);
    } else if (strcmp(argv[i], "--metrics") == 0) {
      metrics = 1;
    } else if (strcmp(argv[i], "--prometheus") == 0) {
      metrics = 2;
    } else {
      fprintf(stderr, "voxline-runtime-status: bad argument '%s'\n%s", argv[i], usage);
      return 2;
    }
  }
  if (voxline_runtime_create(&rt, &o) != VOXLINE_OK) return fail("cannot start the runtime");
  if (metrics == 1) {
    st = voxline_runtime_metrics_json(rt, &out);
  } else if (metrics == 2) {
    st = voxline_runtime_metrics_prometheus(rt, &out);
  } else {
    st = voxline_runtime_health_json(rt, timeout_ms, &out);
  }
  if (st != VOXLINE_OK) {
    rc = fail(metrics != 0 ? "cannot read the metrics" : "cannot probe the runtime");
  } else {
    fputs(out, stdout);
    if (metrics != 2) fputs("\n", stdout);
    if (metrics == 0 && strncmp(out, "{\"ok\":true", 10) != 0) rc = 1;
  }
  voxline_string_free(out);
  voxline_runtime_destroy(rt);
  return rc;
}
