// Who is on the other end of a verified TLS connection: the kind (user or
// host), the name and the cluster, read from the certificate's subject
// (OU, CN, O) as `cohort keys` issues them.
#pragma once

#include <openssl/x509.h>

#include <string>

#include "cohort/core/error.h"

namespace cohort::exec {

enum class IdentityKind { user, host };

struct PeerIdentity {
  IdentityKind kind = IdentityKind::user;
  std::string name;
  std::string cluster;
};

Result<PeerIdentity> identity_of(X509* certificate);

}  // namespace cohort::exec
