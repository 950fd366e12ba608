#include "cohort/filecast/digest.h"

#include <sodium.h>

#include <algorithm>

namespace cohort::filecast {

GroupDigest group_digest(std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> full{};
  crypto_hash_sha256(full.data(), bytes.data(), bytes.size());
  GroupDigest out{};
  std::copy_n(full.begin(), out.size(), out.begin());
  return out;
}

}  // namespace cohort::filecast
