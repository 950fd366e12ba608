#include "sha256.h"

#include <openssl/evp.h>

namespace cohort::filecast {
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

void Sha256Hasher::Free::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Result<Sha256Hasher> Sha256Hasher::create() {
  if (sha256_md() == nullptr) return Error(Errc::internal, "OpenSSL provides no SHA-256");
  Sha256Hasher hasher(EVP_MD_CTX_new());
  if (!hasher.ctx_) return Error(Errc::internal, "EVP_MD_CTX_new failed");
  if (Status s = hasher.restart(); !s) return s.error();
  return hasher;
}

Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;
Sha256Hasher::~Sha256Hasher() = default;

Status Sha256Hasher::restart() {
  failed_ = EVP_DigestInit_ex(ctx_.get(), sha256_md(), nullptr) != 1;
  if (failed_) return Error(Errc::internal, "EVP_DigestInit_ex(SHA-256) failed");
  return ok_status();
}

void Sha256Hasher::update(ByteView bytes) {
  if (!failed_ && EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) failed_ = true;
}

Result<Sha256> Sha256Hasher::finish() {
  Sha256 digest{};
  unsigned int length = 0;
  bool ok =
      !failed_ && EVP_DigestFinal_ex(ctx_.get(), digest.data(), &length) == 1 && length == digest.size();
  Status restarted = restart();
  if (!ok) return Error(Errc::internal, "SHA-256 through OpenSSL failed");
  if (!restarted) return restarted.error();
  return digest;
}

}  // namespace cohort::filecast
