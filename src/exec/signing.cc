#include "cohort/exec/signing.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

#include "openssl_util.h"

namespace cohort::exec {

namespace {

using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, ossl::Free<EVP_MD_CTX_free>>;

Status verify_chain(X509_STORE* trust, X509* certificate) {
  ossl::StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), trust, certificate, nullptr) != 1) {
    return ossl::openssl_error("setting up certificate verification");
  }
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) != 1) {
    return Error(Errc::permission_denied,
                 std::string("the signer's certificate was refused: ") +
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  }
  return ok_status();
}

}  // namespace

Result<std::vector<std::uint8_t>> certificate_der(X509* certificate) {
  unsigned char* der = nullptr;
  int length = i2d_X509(certificate, &der);
  if (length <= 0) return ossl::openssl_error("encoding the certificate");
  std::vector<std::uint8_t> out(der, der + length);
  OPENSSL_free(der);
  return out;
}

Result<std::vector<std::uint8_t>> sign_bytes(EVP_PKEY* key, ByteView body) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, body.data(), body.size()) != 1) {
    return ossl::openssl_error("signing the request");
  }
  std::vector<std::uint8_t> signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, body.data(), body.size()) != 1) {
    return ossl::openssl_error("signing the request");
  }
  signature.resize(length);
  return signature;
}

Result<PeerIdentity> verify_signed(X509_STORE* trust, ByteView certificate_der, ByteView body,
                                   ByteView signature) {
  const unsigned char* der = certificate_der.data();
  ossl::X509Ptr certificate(d2i_X509(nullptr, &der, static_cast<long>(certificate_der.size())));
  if (!certificate || der != certificate_der.data() + certificate_der.size()) {
    ERR_clear_error();
    return Error(Errc::permission_denied, "the request carries no readable signer's certificate");
  }
  if (Status s = verify_chain(trust, certificate.get()); !s) return s.error();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, X509_get0_pubkey(certificate.get())) != 1 ||
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), body.data(), body.size()) != 1) {
    ERR_clear_error();
    return Error(Errc::permission_denied, "the request's signature does not match its certificate");
  }
  return identity_of(certificate.get());
}

}  // namespace cohort::exec
