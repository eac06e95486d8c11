/* Includes only <voxline.h> from a C99 translation unit and calls it: proves the C API is
 * self-contained C and that the shared library exports it. */
#include <stdio.h>
#include <string.h>

#include "voxline.h"

static int frees;
static void count_free(void *user_data) {
  (void)user_data;
  frees++;
}
static void ignore_line(const voxline_log_record *record, void *user_data) {
  (void)record;
  (void)user_data;
}

int main(void) {
  const char *v = voxline_version();
  if (v == NULL || strlen(v) < 5) {
    fprintf(stderr, "bad version string\n");
    return 1;
  }
  if (strcmp(voxline_status_str(VOXLINE_OK), "OK") != 0 ||
      strcmp(voxline_status_str(VOXLINE_E_TIMEOUT), "TIMEOUT") != 0 ||
      strcmp(voxline_status_str((voxline_status)12345), "UNKNOWN") != 0) {
    fprintf(stderr, "status names wrong\n");
    return 1;
  }
  if (voxline_last_error_message() == NULL || voxline_last_error_message()[0] != '\0') {
    fprintf(stderr, "last error message must be \"\" before any failure\n");
    return 1;
  }
  if (voxline_log_set_level((voxline_log_level)9) != VOXLINE_E_INVALID_ARGUMENT ||
      strstr(voxline_last_error_message(), "unknown log level 9") == NULL) {
    fprintf(stderr, "bad log level not rejected with a message: '%s'\n", voxline_last_error_message());
    return 1;
  }
  if (voxline_log_set_level(VOXLINE_LOG_ERROR) != VOXLINE_OK ||
      voxline_log_set_sink(ignore_line, NULL, count_free) != VOXLINE_OK ||
      voxline_log_set_sink(NULL, NULL, NULL) != VOXLINE_OK || frees != 1) {
    fprintf(stderr, "log sink calls failed: %s\n", voxline_last_error_message());
    return 1;
  }
  printf("voxline %s\n", v);
  return 0;
}
