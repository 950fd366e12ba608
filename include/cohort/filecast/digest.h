// The per-group checksum a session binds its content with: the first 16
// bytes of SHA-256 over the group's real bytes (OpenSSL).
#pragma once

#include <cstdint>
#include <span>

#include "cohort/filecast/session.h"

namespace cohort::filecast {

GroupDigest group_digest(std::span<const std::uint8_t> bytes);
// The first 16 bytes of a group's full SHA-256.
GroupDigest group_digest_of(const Sha256& full);

}  // namespace cohort::filecast
