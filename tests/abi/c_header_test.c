/* Includes only <voxline.h> from a C99 translation unit and calls it: proves the C API is
 * self-contained C and that the shared library exports it. */
#include <stdio.h>
#include <string.h>

#include "voxline.h"

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
  printf("voxline %s\n", v);
  return 0;
}
