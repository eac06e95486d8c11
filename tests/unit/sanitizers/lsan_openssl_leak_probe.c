/* A leak of ours that ends in OpenSSL: an SSL_CTX and an SSL, never freed. Run under LeakSanitizer
 * with tests/sanitizers/lsan.supp by check_lsan_reports_probe.cmake, which requires the report;
 * a suppression as broad as the whole of libcrypto hides it (the fast unwinder stops inside
 * libcrypto, so every OpenSSL allocation's stack is malloc <- CRYPTO_zalloc). */
#include <openssl/ssl.h>
#include <stdio.h>

/* Out of reach of the leak scan once main returns: no global or stack slot keeps them. */
static int leak_ssl_ctx_and_ssl(void) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == NULL) return 0;
  return SSL_new(ctx) != NULL;
}

int main(void) {
  if (!leak_ssl_ctx_and_ssl()) {
    fputs("lsan probe: SSL_CTX_new/SSL_new failed\n", stderr);
    return 3;
  }
  puts("lsan probe: leaked an SSL_CTX and an SSL");
  fflush(stdout); /* LSan ends the process before exit() would flush it */
  return 0;
}
