// OpenSSL objects owned by std::unique_ptr, the error queue turned into an
// Error, and PEM files read and written whole (keys atomically, mode 0600),
// so that the CA code reads as what it does and leaks nothing on error paths.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "cohort/core/error.h"
#include "cohort/exec/keys.h"

namespace cohort::exec::ossl {

template <auto FreeFn>
struct Free {
  template <typename T>
  void operator()(T* p) const {
    FreeFn(p);
  }
};

using X509Ptr = std::unique_ptr<X509, Free<X509_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, Free<X509_CRL_free>>;
using RevokedPtr = std::unique_ptr<X509_REVOKED, Free<X509_REVOKED_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Free<BN_free>>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, Free<ASN1_INTEGER_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, Free<ASN1_TIME_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Free<X509_EXTENSION_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Free<GENERAL_NAMES_free>>;
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, Free<EXTENDED_KEY_USAGE_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Free<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Free<X509_STORE_CTX_free>>;

// `what` failed, followed by the reasons OpenSSL queued (the queue is emptied).
Error openssl_error(std::string_view what, Errc code = Errc::internal);

// PEM files. Loading says which file and what it should have held.
Result<X509Ptr> load_cert(const std::filesystem::path& path);
Result<PkeyPtr> load_key(const std::filesystem::path& path);
Result<CrlPtr> load_crl(const std::filesystem::path& path);
Result<std::string> pem_of(X509* cert);
Result<std::string> pem_of(X509_CRL* crl);
Result<std::string> pem_of(EVP_PKEY* key);  // PKCS#8, unencrypted

// Writes `data` to a temporary file beside `path` with `mode`, syncs it and
// moves it into place; without `overwrite` an existing `path` is an error
// that says to pass --force (checked again at the final link, so two writers
// cannot both win).
Status write_file_atomic(const std::filesystem::path& path, std::string_view data, mode_t mode,
                         bool overwrite);
// Refuses early, before anything is written, when one of the outputs exists.
Status refuse_existing(const std::filesystem::path& path, bool overwrite);

Result<PkeyPtr> new_ed25519_key();
// 16 random bytes, made positive (top bit clear) and never zero.
Result<IntegerPtr> random_serial();
std::string serial_hex(const ASN1_INTEGER* serial);

Status set_time(ASN1_TIME* field, UnixTime time);
Result<UnixTime> unix_time(const ASN1_TIME* time);
UnixTime now();

}  // namespace cohort::exec::ossl
