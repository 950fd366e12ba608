// What a filecast session is: the entries (files and directories) it
// carries, how their bytes are cut into blocks and groups, and the digests
// that bind the content to the session. SessionInfo travels to receivers
// over an authenticated channel (cohortd's TLS), never over the data
// channels, so a receiver can trust every digest and key in it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cohort/core/error.h"

namespace cohort::filecast {

// AES-128-GMAC over one group's real bytes (no padding), see digest.h.
using GroupDigest = std::array<std::uint8_t, 16>;
using DigestKey = std::array<std::uint8_t, 16>;
using SessionKey = std::array<std::uint8_t, 32>;  // XChaCha20-Poly1305

struct CastEntry {
  enum class Kind : std::uint8_t { file, directory };
  Kind kind = Kind::file;
  std::string path;        // relative to the destination, '/'-separated, no "..", no leading '/'
  std::uint64_t size = 0;  // files only
  std::uint32_t mode = 0644;
};

struct SessionParams {
  std::uint32_t block_size = 1360;  // payload bytes per data or repair packet
  std::uint16_t k = 64;             // data blocks per group
  std::uint16_t repair_channels = 4;  // T: group g's repair goes on channel 1 + g % T
  // Proactive repair as a fraction of K before any receiver reports loss;
  // the sender raises it from what receivers measure. Negative: adaptive
  // from zero.
  double expected_loss = -1;
  std::uint64_t rate_bits_per_s = 0;  // 0: no cap
};

// K when none is configured: a larger group evens out how many of its packets
// a receiver loses, so the same loss needs fewer repair packets per data
// packet (at 20% loss and 4 receivers, 67.5k rather than 75.9k for 256 MiB).
// Small casts keep the smaller K: their first groups go out before any loss
// report sizes proactive repair, and with few groups those are a large share
// (1,000 simulated receivers at 5% ask 6.2 times per group for 2 MiB at K =
// 128, 0.9 at K = 64). Above kLargeCastBlocks they are a small share.
inline constexpr std::uint16_t kSmallCastK = 64;
inline constexpr std::uint16_t kLargeCastK = 128;
inline constexpr std::uint64_t kLargeCastBlocks = 96 * std::uint64_t{kLargeCastK};
std::uint16_t default_group_size(const std::vector<CastEntry>& entries, std::uint32_t block_size);

struct SessionInfo {
  std::uint64_t session_id = 0;
  SessionParams params;
  std::vector<CastEntry> entries;           // directories before what they contain
  DigestKey digest_key{};                   // secret: the group digests' key
  std::vector<GroupDigest> group_digests;   // one per group, in layout order
  std::optional<SessionKey> key;            // every datagram sealed when set
};

// Channel 0 carries data and stop packets; channels 1..T carry repair.
constexpr std::uint32_t kPrimaryChannel = 0;
inline std::uint32_t repair_channel(const SessionParams& p, std::uint64_t group) {
  return 1 + static_cast<std::uint32_t>(group % p.repair_channels);
}

// Where group g's bytes live: files are laid end to end, each starting a new
// group; the last block of a group may be short and the last group of a file
// may have fewer than K blocks (the rest count as zero blocks for the code).
struct GroupExtent {
  std::uint32_t entry = 0;   // index into SessionInfo::entries
  std::uint64_t offset = 0;  // byte offset in that file
  std::uint32_t bytes = 0;   // real bytes in the group, > 0
  std::uint16_t blocks = 0;  // ceil(bytes / block_size), 1..K
};

class Layout {
 public:
  // Errors: invalid_argument (block_size 0, K 0 or > 254, T 0).
  static Result<Layout> create(const std::vector<CastEntry>& entries, const SessionParams& params);
  std::uint64_t group_count() const { return groups_.size(); }
  const GroupExtent& group(std::uint64_t g) const { return groups_[g]; }
  std::uint64_t total_bytes() const { return total_bytes_; }

 private:
  std::vector<GroupExtent> groups_;
  std::uint64_t total_bytes_ = 0;
};

// Errors: malformed (digest count differs from the layout, bad path, ...).
Status validate(const SessionInfo& info);

}  // namespace cohort::filecast
