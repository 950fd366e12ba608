// What the parts of `cohort keys` (CA, issuing, CRL, identity) share: the
// loaded CA, the rules for names, and building a certificate of the profile.
#pragma once

#include <string>
#include <string_view>

#include "cohort/exec/keys.h"
#include "openssl_util.h"

namespace cohort::exec::keys_detail {

inline constexpr UnixTime kDay = 24 * 60 * 60;

struct Ca {
  ossl::X509Ptr cert;
  ossl::PkeyPtr key;
};
Result<Ca> load_ca(const CaFiles& files);

// Cluster, host and user names end up in file names and account mappings:
// letters, digits and a few separators, starting with a letter or digit.
enum class NameKind { cluster, host, user };
Status check_name(NameKind kind, std::string_view name);

struct Subject {
  std::string cluster;  // O
  std::string unit;     // OU; empty for the CA
  std::string common;   // CN
};

// An unsigned v3 certificate with subject, issuer name, public key, serial
// and validity set; `issuer` null makes it self-issued.
Result<ossl::X509Ptr> new_certificate(const Subject& subject, EVP_PKEY* key, const X509* issuer,
                                      UnixTime not_before, UnixTime not_after);
// Adds an extension written as in openssl.cnf ("critical,CA:TRUE"), with
// `issuer` supplying the authority key identifier.
Status add_extension(X509* cert, X509* issuer, int nid, const char* value);
Status sign(X509* cert, EVP_PKEY* key);

// The one subject entry `nid` (O, OU, CN) as UTF-8; missing or repeated is malformed.
Result<std::string> subject_entry(const X509* cert, int nid);

// Whether `cert` names `ca` as its issuer and carries its signature.
bool issued_by(X509* ca, X509* cert);

// An empty CRL for a new CA.
Status write_empty_crl(const CaFiles& files, const Ca& ca, int crl_days);

}  // namespace cohort::exec::keys_detail
