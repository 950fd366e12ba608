// The state file beside a part file: which of the file's groups are stored,
// bound to how the file is cut (size, block size, K) so that a file cut
// differently never resumes from it. Format, little-endian: "COHORTFS" (8
// bytes), version u8 = 2, size u64, block_size u32, k u16, then one u64 per
// stored group (its index within the file), appended as groups arrive. A
// torn last record is ignored. The content is not named here: every claim
// is re-verified against the new session's group digests on resume, so
// groups of other content are dropped then and equal ones are kept.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"
#include "cohort/filecast/session.h"

namespace cohort::filecast {

struct SidecarKey {
  std::uint64_t size = 0;
  std::uint32_t block_size = 0;
  std::uint16_t k = 0;
  bool operator==(const SidecarKey&) const = default;
};

struct Sidecar {
  SidecarKey key;
  std::vector<std::uint64_t> groups;  // as recorded: unchecked, maybe repeated
};

inline constexpr std::size_t kSidecarHeaderSize = 8 + 1 + 8 + 4 + 2;
inline constexpr std::size_t kSidecarRecordSize = 8;

std::vector<std::uint8_t> encode_sidecar_header(const SidecarKey& key);
std::vector<std::uint8_t> encode_sidecar_record(std::uint64_t group);
// Errors: truncated / malformed (not a sidecar, other version), too_large
// (more than `max_records` records).
Result<Sidecar> decode_sidecar(ByteView bytes, std::size_t max_records);

// The part and state names of a file called `name` in the same directory:
// ".NAME.cohort-part" / ".NAME.cohort-state", or, when that would pass
// NAME_MAX, ".cohort-HASH.part" / ".cohort-HASH.state".
std::string part_name(const std::string& name);
std::string state_name(const std::string& name);

}  // namespace cohort::filecast
