// The RS codec: any K of a group's blocks rebuild its data, byte for byte.
#include "cohort/filecast/fec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "cohort/core/rng.h"

namespace cohort::filecast {
namespace {

struct Group {
  int k;
  std::size_t block;
  std::vector<std::vector<std::uint8_t>> blocks;  // data then repair, by BlockId

  Group(RsCodec& codec, std::size_t repair, std::size_t block_size, Rng& rng) : k(codec.k()), block(block_size) {
    for (int i = 0; i < k; ++i) {
      std::vector<std::uint8_t> b(block);
      for (auto& byte : b) byte = static_cast<std::uint8_t>(rng.next());
      blocks.push_back(std::move(b));
    }
    std::vector<const std::uint8_t*> data;
    for (auto& b : blocks) data.push_back(b.data());
    std::vector<std::vector<std::uint8_t>> out(repair, std::vector<std::uint8_t>(block));
    std::vector<int> indices(repair);
    std::iota(indices.begin(), indices.end(), 0);
    std::vector<std::uint8_t*> out_ptrs;
    for (auto& o : out) out_ptrs.push_back(o.data());
    EXPECT_TRUE(codec.encode(data, block, indices, out_ptrs));
    for (auto& o : out) blocks.push_back(std::move(o));
  }
};

// Drops `lost` random data blocks and decodes from random repair blocks.
void expect_round_trip(RsCodec& codec, Group& g, std::size_t lost, Rng& rng) {
  std::vector<BlockId> ids(g.blocks.size());
  std::iota(ids.begin(), ids.end(), BlockId{0});
  const auto k = static_cast<std::ptrdiff_t>(g.k);
  const auto n = static_cast<std::ptrdiff_t>(lost);
  std::vector<BlockId> data_ids(ids.begin(), ids.begin() + k);
  std::vector<BlockId> repair_ids(ids.begin() + k, ids.end());
  for (std::size_t i = data_ids.size(); i > 1; --i) std::swap(data_ids[i - 1], data_ids[rng.below(i)]);
  for (std::size_t i = repair_ids.size(); i > 1; --i) std::swap(repair_ids[i - 1], repair_ids[rng.below(i)]);
  std::vector<BlockId> lost_ids(data_ids.begin(), data_ids.begin() + n);
  std::sort(lost_ids.begin(), lost_ids.end());
  std::vector<BlockId> have(data_ids.begin() + n, data_ids.end());
  have.insert(have.end(), repair_ids.begin(), repair_ids.begin() + n);
  std::vector<const std::uint8_t*> have_bytes;
  for (BlockId id : have) have_bytes.push_back(g.blocks[id].data());
  std::vector<std::vector<std::uint8_t>> out(lost, std::vector<std::uint8_t>(g.block, 0xEE));
  std::vector<std::uint8_t*> out_ptrs;
  for (auto& o : out) out_ptrs.push_back(o.data());
  ASSERT_TRUE(codec.decode(have, have_bytes, g.block, out_ptrs));
  for (std::size_t i = 0; i < lost; ++i) EXPECT_EQ(out[i], g.blocks[lost_ids[i]]) << "lost block " << lost_ids[i];
}

TEST(RsCodecTest, AnyKBlocksRebuildTheData) {
  for (int k : {1, 2, 8, 32, 200}) {
    auto codec = RsCodec::create(k);
    ASSERT_TRUE(codec);
    const auto repair = static_cast<std::size_t>(std::min(codec->max_repair(), k + 3));
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      Rng rng(seed);
      Group g(*codec, repair, 64 + seed, rng);
      const std::size_t lost = rng.below(std::min(static_cast<std::size_t>(k), repair) + 1);
      expect_round_trip(*codec, g, lost, rng);
      if (HasFailure()) FAIL() << "k=" << k << " seed=" << seed;
    }
  }
}

TEST(RsCodecTest, TheLastRepairBlockStillDecodes) {
  auto codec = RsCodec::create(32);
  ASSERT_TRUE(codec);
  Rng rng(7);
  Group g(*codec, static_cast<std::size_t>(codec->max_repair()), 100, rng);
  std::vector<BlockId> have;
  for (BlockId d = 1; d < 32; ++d) have.push_back(d);
  have.push_back(static_cast<BlockId>(RsCodec::kMaxBlocks - 1));
  std::vector<const std::uint8_t*> bytes;
  for (BlockId id : have) bytes.push_back(g.blocks[id].data());
  std::vector<std::uint8_t> out(100);
  std::uint8_t* out_ptr = out.data();
  ASSERT_TRUE(codec->decode(have, bytes, 100, std::span(&out_ptr, 1)));
  EXPECT_EQ(out, g.blocks[0]);
}

TEST(RsCodecTest, CachesTablesPerLossPattern) {
  auto codec = RsCodec::create(8, 2);
  ASSERT_TRUE(codec);
  Rng rng(3);
  Group g(*codec, 4, 32, rng);
  for (int round = 0; round < 5; ++round) expect_round_trip(*codec, g, 2, rng);
  EXPECT_LE(codec->cached_patterns(), 2u);
  EXPECT_GE(codec->cached_patterns(), 1u);
}

TEST(RsCodecTest, RefusesBadArguments) {
  EXPECT_FALSE(RsCodec::create(0));
  EXPECT_FALSE(RsCodec::create(RsCodec::kMaxBlocks));
  auto codec = RsCodec::create(4);
  ASSERT_TRUE(codec);
  std::vector<std::uint8_t> b(16);
  const std::uint8_t* p = b.data();
  std::vector<const std::uint8_t*> four(4, p);
  std::uint8_t* out = b.data();
  std::vector<BlockId> dup{0, 0, 1, 4};
  EXPECT_FALSE(codec->decode(dup, four, 16, std::span(&out, 1)));
  std::vector<BlockId> three{0, 1, 4};
  EXPECT_FALSE(codec->decode(three, std::span(four).first(3), 16, std::span(&out, 1)));
  std::vector<int> bad_index{codec->max_repair()};
  EXPECT_FALSE(codec->encode(four, 16, bad_index, std::span(&out, 1)));
}

}  // namespace
}  // namespace cohort::filecast
