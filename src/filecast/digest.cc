#include "cohort/filecast/digest.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <limits>
#include <vector>

namespace cohort::filecast {

// Without AES-GCM or randomness in libcrypto nothing could be verified, so
// these abort rather than return errors no caller could act on.
GroupDigester::GroupDigester(const DigestKey& key) : context_(EVP_CIPHER_CTX_new()) {
  if (!context_ || EVP_EncryptInit_ex(context_.get(), EVP_aes_128_gcm(), nullptr, key.data(), nullptr) != 1) {
    std::abort();
  }
}

GroupDigest GroupDigester::operator()(std::uint64_t group, std::span<const std::uint8_t> bytes) {
  std::uint8_t nonce[12] = {};
  for (int i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(group >> (8 * i));
  GroupDigest tag{};
  int written = 0;
  bool ok = EVP_EncryptInit_ex(context_.get(), nullptr, nullptr, nullptr, nonce) == 1;
  // GMAC: the bytes are authenticated data only; nothing is encrypted.
  for (std::size_t at = 0; ok && at < bytes.size();) {
    const std::size_t part = std::min<std::size_t>(bytes.size() - at, std::numeric_limits<int>::max());
    ok = EVP_EncryptUpdate(context_.get(), nullptr, &written, bytes.data() + at, static_cast<int>(part)) == 1;
    at += part;
  }
  const int tag_size = static_cast<int>(tag.size());
  ok = ok && EVP_EncryptFinal_ex(context_.get(), tag.data(), &written) == 1 &&
       EVP_CIPHER_CTX_ctrl(context_.get(), EVP_CTRL_GCM_GET_TAG, tag_size, tag.data()) == 1;
  if (!ok) std::abort();
  return tag;
}

namespace {

GroupDigest xor_of(const GroupDigest& a, const GroupDigest& b) {
  GroupDigest out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = a[i] ^ b[i];
  return out;
}

}  // namespace

GroupDigest GroupDigester::of_zeros(std::uint64_t group, std::size_t length) {
  const GroupDigest empty = (*this)(group, {});
  auto term = zero_terms_.find(length);
  if (term == zero_terms_.end()) {
    const std::vector<std::uint8_t> zeros(length, 0);
    term = zero_terms_.emplace(length, xor_of((*this)(group, zeros), empty)).first;
  }
  return xor_of(empty, term->second);
}

DigestKey random_digest_key() {
  DigestKey key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) std::abort();
  return key;
}

}  // namespace cohort::filecast
