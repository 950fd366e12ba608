// The CA's revocation list: created empty with the CA, grown by `revoke`,
// re-signed with a fresh nextUpdate each time (a peer that checks the CRL
// refuses everything once nextUpdate has passed).
#include "keys_internal.h"

namespace cohort::exec {

using namespace keys_detail;

namespace {

// Sets the update times, bumps the CRL number, sorts, signs and writes.
Status sign_and_write(const CaFiles& files, const Ca& ca, X509_CRL* crl, int crl_days) {
  if (crl_days <= 0) return Error(Errc::invalid_argument, "--crl-days must be positive");
  UnixTime now = ossl::now();
  ossl::TimePtr last(ASN1_TIME_new());
  ossl::TimePtr next(ASN1_TIME_new());
  if (!last || !next) return ossl::openssl_error("cannot allocate the CRL's times");
  // Backdated like certificates: a host whose clock lags must not find a
  // fresh CRL "not yet valid", or it would refuse every peer.
  if (auto s = ossl::set_time(last.get(), now - kClockSlack); !s) return s;
  if (auto s = ossl::set_time(next.get(), now + crl_days * kDay); !s) return s;

  ossl::IntegerPtr number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)));
  ossl::BignumPtr n(number ? ASN1_INTEGER_to_BN(number.get(), nullptr) : BN_new());
  ossl::IntegerPtr next_number(n && BN_add_word(n.get(), 1) ? BN_to_ASN1_INTEGER(n.get(), nullptr) : nullptr);

  if (!next_number || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
      !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca.cert.get())) ||
      !X509_CRL_set1_lastUpdate(crl, last.get()) || !X509_CRL_set1_nextUpdate(crl, next.get()) ||
      !X509_CRL_add1_ext_i2d(crl, NID_crl_number, next_number.get(), 0, X509V3_ADD_REPLACE) ||
      !X509_CRL_sort(crl)) {
    return ossl::openssl_error("cannot fill in the CRL");
  }
  if (X509_CRL_sign(crl, ca.key.get(), nullptr) <= 0) return ossl::openssl_error("cannot sign the CRL");
  auto pem = ossl::pem_of(crl);
  if (!pem) return pem.error();
  return ossl::write_file_atomic(files.crl(), *pem, 0644, true);
}

// The CA's current CRL; one that this CA did not sign is refused, not extended.
Result<ossl::CrlPtr> load_own_crl(const CaFiles& files, const Ca& ca) {
  auto crl = ossl::load_crl(files.crl());
  if (!crl) return crl.error();
  if (X509_CRL_verify(crl->get(), X509_get0_pubkey(ca.cert.get())) != 1) {
    return ossl::openssl_error(files.crl().string() + " was not signed by " + files.cert().string() +
                                   "; move it away and run `cohort keys crl` to start a new one",
                               Errc::malformed);
  }
  return crl;
}

Status add_serial(X509_CRL* crl, const ASN1_INTEGER* serial) {
  ossl::RevokedPtr entry(X509_REVOKED_new());
  ossl::TimePtr when(ASN1_TIME_new());
  if (!entry || !when) return ossl::openssl_error("cannot allocate a CRL entry");
  if (auto s = ossl::set_time(when.get(), ossl::now()); !s) return s;
  if (!X509_REVOKED_set_serialNumber(entry.get(), const_cast<ASN1_INTEGER*>(serial)) ||
      !X509_REVOKED_set_revocationDate(entry.get(), when.get()) || !X509_CRL_add0_revoked(crl, entry.get())) {
    return ossl::openssl_error("cannot add the serial to the CRL");
  }
  static_cast<void>(entry.release());  // the CRL owns it now
  return ok_status();
}

}  // namespace

namespace keys_detail {

Status write_empty_crl(const CaFiles& files, const Ca& ca, int crl_days) {
  ossl::CrlPtr crl(X509_CRL_new());
  if (!crl) return ossl::openssl_error("cannot allocate a CRL");
  return sign_and_write(files, ca, crl.get(), crl_days);
}

}  // namespace keys_detail

Result<Revoked> revoke(const std::filesystem::path& dir, const std::filesystem::path& cert_path,
                       int crl_days) {
  CaFiles files(dir);
  auto ca = load_ca(files);
  if (!ca) return ca.error();
  auto cert = ossl::load_cert(cert_path);
  if (!cert) return cert.error();
  if (!issued_by(ca->cert.get(), cert->get())) {
    return Error(Errc::invalid_argument, cert_path.string() + " was not issued by the CA in " + dir.string() +
                                             "; pass the --dir of the CA that issued it");
  }
  if (X509_cmp(ca->cert.get(), cert->get()) == 0) {
    return Error(Errc::invalid_argument,
                 "that is the CA's own certificate; to retire the CA, create a new one with "
                 "`cohort keys init --force` and issue new certificates");
  }
  auto crl = load_own_crl(files, *ca);
  if (!crl) return crl.error();
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert->get());
  X509_REVOKED* existing = nullptr;
  Revoked result{ossl::serial_hex(serial), X509_CRL_get0_by_serial(crl->get(), &existing, serial) == 1};
  if (!result.already) {
    if (auto s = add_serial(crl->get(), serial); !s) return s.error();
  }
  if (auto s = sign_and_write(files, *ca, crl->get(), crl_days); !s) return s.error();
  return result;
}

Status refresh_crl(const std::filesystem::path& dir, int crl_days) {
  CaFiles files(dir);
  auto ca = load_ca(files);
  if (!ca) return ca.error();
  std::error_code ec;
  if (!std::filesystem::exists(files.crl(), ec)) return write_empty_crl(files, *ca, crl_days);
  auto crl = load_own_crl(files, *ca);
  if (!crl) return crl.error();
  return sign_and_write(files, *ca, crl->get(), crl_days);
}

}  // namespace cohort::exec
