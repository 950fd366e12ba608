// The two messages of a tree launch between daemons: Launch travels down the
// tree (start your task and relay to your subtree), Ready travels back up
// (how many tasks of that subtree started and how many failed). Counts and
// indices have explicit limits so a decoder never allocates past them.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "cohort/core/buffer.h"
#include "cohort/core/error.h"

namespace cohort::exec {

// Hosts in one launch, and the widest fan-out one daemon does (its connects
// are sequential, so wider only adds latency).
inline constexpr std::uint32_t kMaxLaunchHosts = 1u << 20;
inline constexpr std::uint32_t kMaxLaunchWidth = 1024;

struct Launch {
  std::uint64_t launch_id = 0;
  std::uint32_t width = 0;              // 1..kMaxLaunchWidth, the same at every level
  // A branch whose subtree is d levels deep is given up (counted failed)
  // (d + 1) * level_timeout after its Launch was sent.
  std::uint32_t level_timeout_ms = 0;   // > 0
  std::uint32_t head = 0;               // the receiver's own host index
  std::vector<std::uint32_t> subtree;   // host indices it relays to
  bool operator==(const Launch&) const = default;
};

// The answer for a whole branch: started + failed = 1 + its subtree's size.
struct Ready {
  std::uint64_t launch_id = 0;
  std::uint32_t started = 0;
  std::uint32_t failed = 0;
  bool operator==(const Ready&) const = default;
};

using LaunchMessage = std::variant<Launch, Ready>;

Buffer encode_launch_message(const LaunchMessage& message);
// Errors: truncated, too_large (more hosts than kMaxLaunchHosts), malformed
// (unknown type, width or timeout out of range, a host index or count over
// the limit, bytes left over).
Result<LaunchMessage> decode_launch_message(ByteView bytes);

}  // namespace cohort::exec
