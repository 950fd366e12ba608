// The per-group checksum a session binds its content with: an AES-128-GMAC
// tag of the group's real bytes under the session's secret digest key, with
// the group's index as nonce (OpenSSL). Receivers learn the key only over the
// authenticated channel, so a forger on the data channels cannot make a group
// that passes; and GHASH costs about a fifth of SHA-256 per byte on a CPU
// with carry-less multiply, a cost every receiver pays for every byte.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>

#include "cohort/filecast/session.h"

namespace cohort::filecast {

class GroupDigester {
 public:
  explicit GroupDigester(const DigestKey& key);
  GroupDigest operator()(std::uint64_t group, std::span<const std::uint8_t> bytes);
  // The tag of `length` zero bytes at `group` without reading them: GHASH
  // stays zero through zero blocks, so that tag is the empty string's tag at
  // `group` xor a term of the length alone, found once per length. Receivers
  // check every group against it at the start (sparse files' holes).
  GroupDigest of_zeros(std::uint64_t group, std::size_t length);

 private:
  struct FreeContext {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
  };
  std::unique_ptr<EVP_CIPHER_CTX, FreeContext> context_;
  std::map<std::size_t, GroupDigest> zero_terms_;  // by length
};

DigestKey random_digest_key();

}  // namespace cohort::filecast
