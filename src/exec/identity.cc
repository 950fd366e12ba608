#include "cohort/exec/identity.h"

#include <openssl/objects.h>

namespace cohort::exec {

namespace {

std::string subject_field(X509* certificate, int nid) {
  X509_NAME* subject = X509_get_subject_name(certificate);
  int index = X509_NAME_get_index_by_NID(subject, nid, -1);
  if (index < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return {};
  std::string text(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return text;
}

}  // namespace

Result<PeerIdentity> identity_of(X509* certificate) {
  if (certificate == nullptr) return Error(Errc::permission_denied, "no certificate was presented");
  PeerIdentity identity;
  std::string kind = subject_field(certificate, NID_organizationalUnitName);
  if (kind == "user") {
    identity.kind = IdentityKind::user;
  } else if (kind == "host") {
    identity.kind = IdentityKind::host;
  } else {
    return Error(Errc::permission_denied, "the certificate is neither a user's nor a host's (OU is '" + kind + "')");
  }
  identity.name = subject_field(certificate, NID_commonName);
  identity.cluster = subject_field(certificate, NID_organizationName);
  if (identity.name.empty()) return Error(Errc::permission_denied, "the certificate names nobody (no CN)");
  return identity;
}

}  // namespace cohort::exec
