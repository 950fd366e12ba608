// Reed-Solomon erasure coding of one filecast group (Intel ISA-L): K data
// blocks of equal size give up to 255-K repair blocks, made on demand, and
// any K distinct blocks of the group rebuild the lost data blocks. The code
// is systematic (data blocks go out as they are) over a Cauchy matrix, so
// every K-subset is decodable. Decoding inverts only the rows of the lost
// blocks and keeps the decode tables per loss pattern, so a repeated pattern
// costs no more than ISA-L's kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <span>
#include <vector>

#include "cohort/core/error.h"

namespace cohort::filecast {

// Block ids within a group: 0..K-1 are data blocks, K+r is repair block r.
using BlockId = std::uint16_t;

class RsCodec {
 public:
  static constexpr int kMaxBlocks = 255;  // K + repair blocks, GF(2^8)

  // k: 1..kMaxBlocks-1. Keeps decode tables of at most `cache_patterns`
  // loss patterns (least recently used go first).
  static Result<RsCodec> create(int k, std::size_t cache_patterns = 256);

  int k() const { return k_; }
  int max_repair() const { return kMaxBlocks - k_; }

  // Repair blocks `repair` (each 0..max_repair()-1) of the group whose K data
  // blocks are `data`, each `block_size` bytes, into `out` (one per index).
  Status encode(std::span<const std::uint8_t* const> data, std::size_t block_size,
                std::span<const int> repair, std::span<std::uint8_t* const> out) const;

  // Rebuilds data blocks. `have` names exactly K distinct blocks (data or
  // repair) whose bytes are in `have_bytes`; every data block missing from
  // `have` is written to `lost_out`, in ascending data-block order.
  Status decode(std::span<const BlockId> have, std::span<const std::uint8_t* const> have_bytes,
                std::size_t block_size, std::span<std::uint8_t* const> lost_out);

  std::size_t cached_patterns() const { return cache_.size(); }

 private:
  RsCodec(int k, std::size_t cache_patterns);
  struct DecodeTables {
    std::vector<std::uint8_t> gftbls;  // ISA-L expanded tables, 32 bytes per coefficient
    std::list<std::vector<BlockId>>::iterator lru;
  };
  Result<const DecodeTables*> tables_for(std::span<const BlockId> have);

  int k_;
  std::size_t cache_limit_;
  std::vector<std::uint8_t> matrix_;  // (kMaxBlocks x k) Cauchy encode matrix, identity on top
  std::map<std::vector<BlockId>, DecodeTables> cache_;
  std::list<std::vector<BlockId>> lru_;  // most recently used first
};

}  // namespace cohort::filecast
