// TLS 1.3 contexts with mutual certificate authentication (OpenSSL): both
// sides present a certificate issued by the cluster CA and check the other's
// against that CA and its revocation list. Nothing here is home-made crypto;
// this unit only sets OpenSSL up the one way cohort allows.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "cohort/core/error.h"

namespace cohort::tls {

struct Files {
  std::string ca;    // the cluster CA certificate (PEM)
  std::string cert;  // this side's certificate (PEM)
  std::string key;   // its private key (PEM)
  std::string crl;   // the CA's revocation list (PEM); empty: none is checked
};

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using ContextPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// A server that demands a client certificate.
Result<ContextPtr> server_context(const Files& files);
// A client that demands the server's certificate; the name it expects is set
// per connection (expect_peer).
Result<ContextPtr> client_context(const Files& files);

// Makes `ssl` accept only a server certificate for `host` (an IP address is
// matched against the certificate's IP entries, a name against its DNS ones).
Status expect_peer(SSL* ssl, const std::string& host);

// OpenSSL's error queue (or `fallback`) as one line, and the queue cleared.
std::string last_error(std::string_view fallback);

}  // namespace cohort::tls
