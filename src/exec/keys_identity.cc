// Reading certificates back: who a peer is (for the daemon) and everything
// `cohort keys show` prints.
#include <arpa/inet.h>

#include <memory>

#include "keys_internal.h"

namespace cohort::exec {

using namespace keys_detail;

namespace keys_detail {

Result<std::string> subject_entry(const X509* cert, int nid) {
  const X509_NAME* name = X509_get_subject_name(cert);
  int at = X509_NAME_get_index_by_NID(name, nid, -1);
  std::string field = OBJ_nid2sn(nid);
  if (at < 0) return Error(Errc::malformed, "the certificate's subject has no " + field);
  if (X509_NAME_get_index_by_NID(name, nid, at) >= 0) {
    return Error(Errc::malformed, "the certificate's subject has more than one " + field);
  }
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at)));
  if (length < 0) return ossl::openssl_error("the certificate's " + field + " is not text", Errc::malformed);
  std::string value(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  if (value.find('\0') != std::string::npos)
    return Error(Errc::malformed, "the certificate's " + field + " holds a NUL");
  return value;
}

}  // namespace keys_detail

namespace {

std::string alt_name_text(const GENERAL_NAME* name) {
  int type = 0;
  const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
  const unsigned char* bytes = ASN1_STRING_get0_data(value);
  int length = ASN1_STRING_length(value);
  if (type == GEN_DNS)
    return "DNS:" + std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(length));
  char text[INET6_ADDRSTRLEN] = "?";
  if (type == GEN_IPADD && (length == 4 || length == 16)) {
    inet_ntop(length == 4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
    return std::string("IP:") + text;
  }
  return "other:" + std::to_string(type);
}

std::vector<std::string> alt_names(X509* cert) {
  std::vector<std::string> out;
  ossl::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    out.push_back(alt_name_text(sk_GENERAL_NAME_value(names.get(), i)));
  }
  return out;
}

std::vector<std::string> extended_key_usage(X509* cert) {
  std::vector<std::string> out;
  ossl::EkuPtr eku(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
  for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    out.push_back(OBJ_nid2sn(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i))));
  }
  return out;
}

// Fills in whether the CA in `dir` signed the certificate and has revoked it.
Status check_against_ca(X509* cert, const std::filesystem::path& dir, CertDescription& out) {
  CaFiles files(dir);
  auto ca = ossl::load_cert(files.cert());
  if (!ca) return ca.error();
  auto crl = ossl::load_crl(files.crl());
  if (!crl) return crl.error();
  if (X509_CRL_verify(crl->get(), X509_get0_pubkey(ca->get())) != 1) {
    return ossl::openssl_error(files.crl().string() + " was not signed by " + files.cert().string(),
                               Errc::malformed);
  }
  X509_REVOKED* entry = nullptr;
  out.signed_by_ca = issued_by(ca->get(), cert);
  out.revoked = X509_CRL_get0_by_serial(crl->get(), &entry, X509_get0_serialNumber(cert)) == 1;
  return ok_status();
}

}  // namespace

std::string_view cert_kind_name(CertKind kind) {
  switch (kind) {
    case CertKind::ca:
      return "ca";
    case CertKind::host:
      return "host";
    case CertKind::user:
      return "user";
  }
  return "?";
}

Result<PeerIdentity> identity_of(X509* certificate) {
  if (certificate == nullptr) return Error(Errc::permission_denied, "no certificate was presented");
  auto unit = subject_entry(certificate, NID_organizationalUnitName);
  auto name = subject_entry(certificate, NID_commonName);
  auto cluster = subject_entry(certificate, NID_organizationName);
  for (const auto* field : {&unit, &name, &cluster}) {
    if (!*field) return Error(Errc::permission_denied, field->error().message());
  }
  if (*unit != "host" && *unit != "user") {
    return Error(Errc::permission_denied,
                 "the certificate is neither a user's nor a host's (OU is '" + *unit + "')");
  }
  return PeerIdentity{*unit == "host" ? IdentityKind::host : IdentityKind::user, *name, *cluster};
}

Result<CertDescription> describe(const std::filesystem::path& cert_path,
                                 const std::optional<std::filesystem::path>& ca_dir) {
  auto loaded = ossl::load_cert(cert_path);
  if (!loaded) return loaded.error();
  X509* cert = loaded->get();
  CertDescription out;
  if (X509_check_ca(cert) != 0) {
    auto cluster = subject_entry(cert, NID_organizationName);
    if (!cluster) return cluster.error();
    out.kind = CertKind::ca;
    out.cluster = *cluster;
    auto name = subject_entry(cert, NID_commonName);
    if (name) out.name = *name;
  } else {
    auto identity = identity_of(cert);
    if (!identity) return Error(Errc::malformed, cert_path.string() + ": " + identity.error().message());
    out.kind = identity->kind == IdentityKind::host ? CertKind::host : CertKind::user;
    out.name = identity->name;
    out.cluster = identity->cluster;
  }
  out.serial = ossl::serial_hex(X509_get0_serialNumber(cert));
  auto not_before = ossl::unix_time(X509_get0_notBefore(cert));
  auto not_after = ossl::unix_time(X509_get0_notAfter(cert));
  if (!not_before || !not_after) return Error(Errc::malformed, cert_path.string() + ": unreadable validity");
  out.not_before = *not_before;
  out.not_after = *not_after;
  out.sans = alt_names(cert);
  out.extended_key_usage = extended_key_usage(cert);
  if (ca_dir) {
    if (auto s = check_against_ca(cert, *ca_dir, out); !s) return s.error();
  }
  return out;
}

}  // namespace cohort::exec
