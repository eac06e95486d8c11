// The client SSL_CTX a SlotLoop hands libwebsockets (see tls_client_ctx.hpp).
#include "net/tls_client_ctx.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace voxline::detail {

void SslCtxFree::operator()(ssl_ctx_st *ctx) const noexcept {
  SSL_CTX_free(ctx);
}

ClientSslCtx make_client_ssl_ctx(const std::string &ca_file) {
  ClientSslCtx ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_default_verify_paths(ctx.get());
  if (!ca_file.empty()) SSL_CTX_load_verify_file(ctx.get(), ca_file.c_str());
  ERR_clear_error();  // a missing OS store or ca_file shows up at verification, not here
  return ctx;
}

}  // namespace voxline::detail
