// A user's signature over a request that daemons relay on the user's behalf
// (the tree launch of `cohort run`): the client signs with the key of its
// own TLS certificate; every daemon checks that certificate against its own
// CA and revocation list and the signature against the certificate, so the
// identity that runs is the user's, whichever daemon relayed the request.
// OpenSSL's EVP and X509 APIs; the keys are the Ed25519 ones `cohort keys`
// issues.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"
#include "cohort/exec/identity.h"

namespace cohort::exec {

// The certificate in DER, as a request carries it.
Result<std::vector<std::uint8_t>> certificate_der(X509* certificate);

// Signs `body` with `key` (no separate digest, as Ed25519 requires).
Result<std::vector<std::uint8_t>> sign_bytes(EVP_PKEY* key, ByteView body);

// Who signed: `certificate_der` must verify in `trust` (with the store's
// flags, i.e. CRL checking where the daemon loaded a CRL) for client
// authentication, and `signature` must be its key's over `body`. Every
// refusal is permission_denied and says which check failed.
Result<PeerIdentity> verify_signed(X509_STORE* trust, ByteView certificate_der, ByteView body,
                                   ByteView signature);

}  // namespace cohort::exec
