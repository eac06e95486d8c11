/* voxline-count-tokens: counts (and with --ids lists) the tokens of standard input through the C
 * ABI alone, the way a C host would. Exit 0 on success, 1 when a voxline call fails, 2 for a
 * usage error.
 *
 *   echo -n "hello world" | voxline-count-tokens --model gpt-4o --ids
 *   2
 *   24912 2375
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxline.h"

static const char usage[] =
    "usage: voxline-count-tokens [--model NAME] [--ids] < text\n"
    "  --model NAME  a model (gpt-4o, gpt-4, ...) or encoding (o200k_base, cl100k_base); default gpt-4o\n"
    "  --ids         also print the token ids on a second line\n";

/* Reads all of stdin into a malloc'ed buffer; NULL when memory runs out. */
static char *read_stdin(size_t *len) {
  size_t cap = 4096;
  size_t n = 0;
  char *buf = malloc(cap);
  while (buf != NULL) {
    size_t got = fread(buf + n, 1, cap - n, stdin);
    n += got;
    if (got == 0) break;
    if (n == cap) {
      char *bigger = realloc(buf, cap * 2);
      if (bigger == NULL) {
        free(buf);
        return NULL;
      }
      buf = bigger;
      cap *= 2;
    }
  }
  *len = n;
  return buf;
}

static int fail(const char *what) {
  fprintf(stderr, "voxline-count-tokens: %s: %s\n", what, voxline_last_error_message());
  return 1;
}

int main(int argc, char **argv) {
  const char *model = "gpt-4o";
  int ids = 0;
  int i;
  size_t len = 0;
  size_t n = 0;
  char *text;
  uint32_t *tokens = NULL;
  voxline_tokenizer *tok = NULL;
  int rc = 0;

  for (i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      return 0;
    } else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
      model = argv[++i];
    } else if (strcmp(argv[i], "--ids") == 0) {
      ids = 1;
    } else {
      fprintf(stderr, "voxline-count-tokens: bad argument '%s'\n%s", argv[i], usage);
      return 2;
    }
  }
  if (voxline_tokenizer_open(&tok, model) != VOXLINE_OK) return fail("cannot open the tokenizer");
  text = read_stdin(&len);
  if (text == NULL) {
    voxline_tokenizer_free(tok);
    fprintf(stderr, "voxline-count-tokens: out of memory reading stdin\n");
    return 1;
  }
  if (voxline_tokenizer_encode(tok, text, len, &tokens, &n) != VOXLINE_OK) {
    rc = fail("cannot encode");
  } else {
    printf("%lu\n", (unsigned long)n);
    if (ids) {
      size_t k;
      for (k = 0; k < n; ++k) printf(k == 0 ? "%lu" : " %lu", (unsigned long)tokens[k]);
      printf("\n");
    }
  }
  voxline_tokens_free(tokens);
  free(text);
  voxline_tokenizer_free(tok);
  return rc;
}
