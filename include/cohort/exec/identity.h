// Who is on the other end of a verified TLS connection: the kind (user or
// host), the name and the cluster, read from the certificate's subject
// (OU, CN, O) as `cohort keys` issues them (docs/exec.md, "Identity: the
// cluster CA"). Implemented with the CA in src/exec/keys_identity.cc.
#pragma once

#include <openssl/x509.h>

#include <string>

#include "cohort/core/error.h"

namespace cohort::exec {

enum class IdentityKind { user, host };

struct PeerIdentity {
  IdentityKind kind = IdentityKind::user;
  std::string name;     // CN: the username or hostname
  std::string cluster;  // O
};

// Refuses (permission_denied) a missing certificate, one whose OU is neither
// user nor host, and one whose O, OU or CN is missing or repeated.
Result<PeerIdentity> identity_of(X509* certificate);

}  // namespace cohort::exec
