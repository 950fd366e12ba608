// The per-group checksum a session binds its content with: an AES-128-GMAC
// tag of the group's real bytes under the session's secret digest key, with
// the group's index as nonce (OpenSSL). Receivers learn the key only over the
// authenticated channel, so a forger on the data channels cannot make a group
// that passes; and GHASH costs about a fifth of SHA-256 per byte on a CPU
// with carry-less multiply, a cost every receiver pays for every byte.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <span>

#include "cohort/filecast/session.h"

namespace cohort::filecast {

class GroupDigester {
 public:
  explicit GroupDigester(const DigestKey& key);
  GroupDigest operator()(std::uint64_t group, std::span<const std::uint8_t> bytes);

 private:
  struct FreeContext {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
  };
  std::unique_ptr<EVP_CIPHER_CTX, FreeContext> context_;
};

DigestKey random_digest_key();

}  // namespace cohort::filecast
