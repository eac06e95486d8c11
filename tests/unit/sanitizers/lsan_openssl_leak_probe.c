/* A leak of ours that ends in OpenSSL: SSL_CTXs and SSLs, never freed. Run under LeakSanitizer
 * with tests/sanitizers/lsan.supp by check_lsan_reports_probe.cmake, which requires the report;
 * a suppression as broad as the whole of libcrypto hides it (the fast unwinder stops inside
 * libcrypto, so every OpenSSL allocation's stack is malloc <- CRYPTO_zalloc). */
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>

/* The objects are made on a thread that has exited before the leak check: LSan does not scan a
 * dead thread's stack, so no stale copy of a pointer there can keep them "reachable" (leaking
 * from main's own call stack went unreported in about half of the runs). */
static void *leak_ssl_ctx_and_ssl(void *ok) {
  for (int i = 0; i < 4; ++i) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || SSL_new(ctx) == NULL) return NULL;
  }
  *(int *)ok = 1;
  return NULL;
}

int main(void) {
  int ok = 0;
  pthread_t t;
  if (pthread_create(&t, NULL, leak_ssl_ctx_and_ssl, &ok) != 0 || pthread_join(t, NULL) != 0 || !ok) {
    fputs("lsan probe: SSL_CTX_new/SSL_new failed\n", stderr);
    return 3;
  }
  puts("lsan probe: leaked an SSL_CTX and an SSL");
  fflush(stdout); /* LSan ends the process before exit() would flush it */
  return 0;
}
