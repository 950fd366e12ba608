// Where a filecast machine's bytes come from and go to. The machines call
// these synchronously: the simulator passes memory, the driver passes files
// (read, written at a temporary name, renamed when verified). A group is
// handed over as `GroupExtent::bytes` real bytes, never padding.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cohort/core/error.h"

namespace cohort::filecast {

class ContentSource {
 public:
  virtual ~ContentSource() = default;
  // Fills `out` (exactly the group's real bytes). Errors: io.
  virtual Status read_group(std::uint64_t group, std::span<std::uint8_t> out) = 0;
};

class ContentSink {
 public:
  virtual ~ContentSink() = default;
  // Groups already held and verified from an earlier session (resume).
  virtual bool has_group(std::uint64_t group) const = 0;
  // Stores a group the machine has verified against its digest. Errors: io.
  virtual Status write_group(std::uint64_t group, std::span<const std::uint8_t> bytes) = 0;
  // Stores a group of `bytes` zero bytes, which its digest showed it to be,
  // so that it never needs to travel; a sink that can leaves a hole.
  virtual Status write_zero_group(std::uint64_t group, std::size_t bytes) {
    return write_group(group, std::vector<std::uint8_t>(bytes, 0));
  }
};

}  // namespace cohort::filecast
