// The CA itself: creating it, loading it, and the certificate building blocks
// that issuing shares with it.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "keys_internal.h"

namespace cohort::exec {

namespace keys_detail {

namespace {

Status add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
  if (!X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0)) {
    return ossl::openssl_error(std::string("cannot set the subject's ") + field);
  }
  return ok_status();
}

Status set_subject(X509* cert, const Subject& subject) {
  X509_NAME* name = X509_get_subject_name(cert);
  if (auto s = add_name_entry(name, "O", subject.cluster); !s) return s;
  if (!subject.unit.empty()) {
    if (auto s = add_name_entry(name, "OU", subject.unit); !s) return s;
  }
  return add_name_entry(name, "CN", subject.common);
}

bool name_char_ok(NameKind kind, char c) {
  if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') return true;
  return (kind != NameKind::host && c == '_') || (kind == NameKind::user && c == '@');
}

}  // namespace

Status check_name(NameKind kind, std::string_view name) {
  static constexpr const char* kWhat[] = {"cluster name", "hostname", "username"};
  const char* what = kWhat[static_cast<int>(kind)];
  std::size_t limit = kind == NameKind::host ? 253 : 64;
  bool ok = !name.empty() && name.size() <= limit && std::isalnum(static_cast<unsigned char>(name[0])) &&
            std::all_of(name.begin(), name.end(), [kind](char c) { return name_char_ok(kind, c); });
  if (ok) return ok_status();
  std::string allowed = kind == NameKind::host   ? "letters, digits, '-' and '.'"
                        : kind == NameKind::user ? "letters, digits, '-', '.', '_' and '@'"
                                                 : "letters, digits, '-', '.' and '_'";
  return Error(Errc::invalid_argument, std::string("'") + std::string(name) + "' is not a usable " + what +
                                           ": use " + allowed + ", start with a letter or digit, at most " +
                                           std::to_string(limit) + " characters");
}

Result<ossl::X509Ptr> new_certificate(const Subject& subject, EVP_PKEY* key, const X509* issuer,
                                      UnixTime not_before, UnixTime not_after) {
  ossl::X509Ptr cert(X509_new());
  auto serial = ossl::random_serial();
  if (!serial) return serial.error();
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3) ||
      !X509_set_serialNumber(cert.get(), serial->get()) || !X509_set_pubkey(cert.get(), key)) {
    return ossl::openssl_error("cannot fill in a certificate");
  }
  if (auto s = set_subject(cert.get(), subject); !s) return s.error();
  const X509_NAME* issuer_name = X509_get_subject_name(issuer ? issuer : cert.get());
  if (!X509_set_issuer_name(cert.get(), issuer_name)) return ossl::openssl_error("cannot set the issuer");
  if (auto s = ossl::set_time(X509_getm_notBefore(cert.get()), not_before); !s) return s.error();
  if (auto s = ossl::set_time(X509_getm_notAfter(cert.get()), not_after); !s) return s.error();
  return cert;
}

Status add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
  ossl::ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (!ext || !X509_add_ext(cert, ext.get(), -1)) {
    return ossl::openssl_error(std::string("cannot add the extension ") + OBJ_nid2sn(nid) + " = " + value);
  }
  return ok_status();
}

Status sign(X509* cert, EVP_PKEY* key) {
  // Ed25519 hashes internally: OpenSSL wants no digest for it.
  if (X509_sign(cert, key, nullptr) <= 0) return ossl::openssl_error("cannot sign the certificate");
  return ok_status();
}

bool issued_by(X509* ca, X509* cert) {
  EVP_PKEY* ca_key = X509_get0_pubkey(ca);
  bool ok = X509_check_issued(ca, cert) == X509_V_OK && ca_key != nullptr && X509_verify(cert, ca_key) == 1;
  ERR_clear_error();
  return ok;
}

Result<Ca> load_ca(const CaFiles& files) {
  std::error_code ec;
  if (!std::filesystem::exists(files.cert(), ec)) {
    return Error(Errc::not_found,
                 "no CA in " + files.dir.string() +
                     " (no ca.pem): create one with `cohort keys init --cluster NAME --dir " +
                     files.dir.string() + "`, or pass --dir or set COHORT_KEYS_DIR");
  }
  auto cert = ossl::load_cert(files.cert());
  if (!cert) return cert.error();
  auto key = ossl::load_key(files.key());
  if (!key) return key.error();
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    return ossl::openssl_error(files.key().string() + " is not the key of " + files.cert().string(),
                               Errc::malformed);
  }
  return Ca{std::move(cert).value(), std::move(key).value()};
}

}  // namespace keys_detail

using namespace keys_detail;

namespace {

Status write_ca_files(const CaFiles& files, const Ca& ca, const CaOptions& options) {
  auto key_pem = ossl::pem_of(ca.key.get());
  if (!key_pem) return key_pem.error();
  auto cert_pem = ossl::pem_of(ca.cert.get());
  if (!cert_pem) return cert_pem.error();
  if (auto s = ossl::write_file_atomic(files.key(), *key_pem, 0600, options.force); !s) return s;
  if (auto s = ossl::write_file_atomic(files.cert(), *cert_pem, 0644, options.force); !s) return s;
  if (auto s = write_empty_crl(files, ca, options.crl_days); !s) return s;
  // A new CA starts a new record: the old one's certificates no longer verify.
  return ossl::write_file_atomic(files.issued(), "", 0644, true);
}

}  // namespace

Status init_ca(const std::filesystem::path& dir, std::string_view cluster, const CaOptions& options) {
  CaFiles files(dir);
  if (auto s = check_name(NameKind::cluster, cluster); !s) return s;
  if (options.days <= 0 || options.crl_days <= 0)
    return Error(Errc::invalid_argument, "--days and --crl-days must be positive");
  if (auto s = ossl::refuse_existing(files.key(), options.force); !s) return s;
  if (auto s = ossl::refuse_existing(files.cert(), options.force); !s) return s;
  std::error_code ec;
  if (std::filesystem::create_directories(dir, ec)) ::chmod(dir.c_str(), 0700);  // it will hold the CA's key
  if (ec) return Error(Errc::io, "cannot create " + dir.string() + ": " + ec.message());

  auto key = ossl::new_ed25519_key();
  if (!key) return key.error();
  UnixTime now = ossl::now();
  Subject subject{std::string(cluster), "", std::string(cluster) + " cohort CA"};
  auto cert = new_certificate(subject, key->get(), nullptr, now - kClockSlack, now + options.days * kDay);
  if (!cert) return cert.error();
  X509* c = cert->get();
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                            std::pair{NID_subject_key_identifier, "hash"}}) {
    if (auto s = add_extension(c, nullptr, nid, value); !s) return s;
  }
  if (auto s = sign(c, key->get()); !s) return s;
  return write_ca_files(files, Ca{std::move(cert).value(), std::move(key).value()}, options);
}

}  // namespace cohort::exec
