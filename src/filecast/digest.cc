#include "cohort/filecast/digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>

#include "sha256.h"

namespace cohort::filecast {

// OpenSSL's SHA-256 uses the CPU's SHA extensions where it has them.
GroupDigest group_digest(std::span<const std::uint8_t> bytes) {
  Sha256 full{};
  if (sha256_md() == nullptr || EVP_Digest(bytes.data(), bytes.size(), full.data(), nullptr, sha256_md(), nullptr) != 1) {
    std::abort();  // no SHA-256 in libcrypto: nothing could be verified
  }
  return group_digest_of(full);
}

GroupDigest group_digest_of(const Sha256& full) {
  GroupDigest out{};
  std::copy_n(full.begin(), out.size(), out.begin());
  return out;
}

}  // namespace cohort::filecast
