#include "cohort/filecast/digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>

namespace cohort::filecast {
namespace {

// Fetched once (EVP_sha256() fetches on every use); OpenSSL's SHA-256 uses
// the CPU's SHA extensions where it has them, libsodium's does not.
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

GroupDigest group_digest(std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> full{};
  if (sha256_md() == nullptr || EVP_Digest(bytes.data(), bytes.size(), full.data(), nullptr, sha256_md(), nullptr) != 1) {
    std::abort();  // no SHA-256 in libcrypto: nothing could be verified
  }
  GroupDigest out{};
  std::copy_n(full.begin(), out.size(), out.begin());
  return out;
}

}  // namespace cohort::filecast
