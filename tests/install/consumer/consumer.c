/* A host program built against an installed voxline: prints the library version and the token
 * count of "hello world" (2 in o200k_base), and exits non-zero when either call fails or the
 * version differs from the one the test expects (argv[1]). */
#include <stdio.h>
#include <string.h>
#include <voxline.h>

int main(int argc, char **argv) {
  voxline_tokenizer *tok = NULL;
  size_t n = 0;
  const char *version = voxline_version();
  if (argc > 1 && strcmp(version, argv[1]) != 0) {
    fprintf(stderr, "consumer: library version %s, expected %s\n", version, argv[1]);
    return 1;
  }
  if (voxline_tokenizer_open(&tok, "o200k_base") != VOXLINE_OK ||
      voxline_tokenizer_count(tok, "hello world", 11, &n) != VOXLINE_OK) {
    fprintf(stderr, "consumer: %s\n", voxline_last_error_message());
    voxline_tokenizer_free(tok);
    return 1;
  }
  voxline_tokenizer_free(tok);
  printf("voxline %s tokens=%zu\n", version, n);
  return n == 2 ? 0 : 1;
}
