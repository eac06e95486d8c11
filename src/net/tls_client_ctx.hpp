// Internal: the client SSL_CTX a SlotLoop hands libwebsockets
// (lws_context_creation_info::provided_client_ssl_ctx) instead of letting lws create one.
//
// Why: libwebsockets 4.1.6 finds the client SSL_CTX it created again, at vhost destroy, through
// an SSL_CTX ex-data index that every lws context created with
// LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT acquires anew (upstream issues 2044 and 2178, fixed in
// lws 4.2.0). With more than one context in a process (one per slot, plus any TLS test server)
// every context but the newest never frees its client SSL_CTX nor the system CA store loaded
// into it. lws never frees a context it was given (user_supplied_ssl_ctx): the SlotLoop frees
// this one after lws_context_destroy #2.
//
// Configured as lws 4.1.6 configures its own (lws_tls_client_create_vhost_context): no
// compression, ACCEPT_MOVING_WRITE_BUFFER | RELEASE_BUFFERS, the OS CA store, plus ca_file when
// set. Not copied: lws's fallback load_verify_dir("../share") (a directory relative to the
// working directory) when ca_file is empty. Per-connection TLS (SNI, host name check, ALPN,
// verify mode) is still lws's.
//
// Thread-safety: any thread; the context is then used by lws on the loop thread only.
#pragma once

#include <memory>
#include <string>

struct ssl_ctx_st;

namespace voxline::detail {

struct SslCtxFree {
  void operator()(ssl_ctx_st *ctx) const noexcept;
};
using ClientSslCtx = std::unique_ptr<ssl_ctx_st, SslCtxFree>;

// nullptr only when OpenSSL cannot create a context. An unreadable ca_file is not an error here
// (lws 4.1.6 only logged it): handshakes then fail verification, as they did before.
ClientSslCtx make_client_ssl_ctx(const std::string &ca_file);

}  // namespace voxline::detail
