// SHA-256 through OpenSSL's EVP for the file layer: one hasher reused for
// many messages (files, groups) without fetching the algorithm again.
#pragma once

#include <memory>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"
#include "cohort/filecast/files.h"

struct evp_md_ctx_st;
struct evp_md_st;

namespace cohort::filecast {

class Sha256Hasher {
 public:
  // Errors: internal (OpenSSL has no SHA-256).
  static Result<Sha256Hasher> create();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  ~Sha256Hasher();

  void update(ByteView bytes);
  // The digest of everything since create() or the last finish(); starts
  // the next message. Errors: internal (an OpenSSL call failed).
  Result<Sha256> finish();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  explicit Sha256Hasher(evp_md_ctx_st* ctx) : ctx_(ctx) {}
  Status restart();

  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
  bool failed_ = false;
};

// OpenSSL's SHA-256, fetched once (EVP_sha256() fetches on every use);
// null if libcrypto has none.
const evp_md_st* sha256_md();

}  // namespace cohort::filecast
