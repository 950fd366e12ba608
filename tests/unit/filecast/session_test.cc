// Layout and validate(): how entries become groups, and which sessions are refused.
#include "cohort/filecast/session.h"

#include <gtest/gtest.h>

namespace cohort::filecast {
namespace {

SessionParams params(std::uint32_t block = 100, std::uint16_t k = 4) {
  SessionParams p;
  p.block_size = block;
  p.k = k;
  return p;
}

CastEntry file(std::string path, std::uint64_t size) {
  return CastEntry{.kind = CastEntry::Kind::file, .path = std::move(path), .size = size};
}

CastEntry dir(std::string path) { return CastEntry{.kind = CastEntry::Kind::directory, .path = std::move(path)}; }

TEST(LayoutTest, EdgeSizes) {
  struct Case {
    std::uint64_t size;
    std::uint64_t groups;
    std::uint32_t last_bytes;
    std::uint16_t last_blocks;
  };
  // K = 4 blocks of 100 bytes: a group holds 400 bytes.
  for (const Case& c : {Case{0, 0, 0, 0}, Case{1, 1, 1, 1}, Case{400, 1, 400, 4}, Case{401, 2, 1, 1},
                        Case{350, 1, 350, 4}, Case{801, 3, 1, 1}}) {
    auto layout = Layout::create({file("f", c.size)}, params());
    ASSERT_TRUE(layout);
    ASSERT_EQ(layout->group_count(), c.groups) << "size " << c.size;
    EXPECT_EQ(layout->total_bytes(), c.size);
    if (c.groups == 0) continue;
    const GroupExtent& last = layout->group(c.groups - 1);
    EXPECT_EQ(last.bytes, c.last_bytes) << "size " << c.size;
    EXPECT_EQ(last.blocks, c.last_blocks) << "size " << c.size;
    EXPECT_EQ(last.offset, (c.groups - 1) * 400) << "size " << c.size;
  }
}

TEST(LayoutTest, EachFileStartsAGroupAndDirectoriesHaveNone) {
  auto layout = Layout::create({dir("d"), file("d/a", 450), dir("d/e"), file("d/b", 10)}, params());
  ASSERT_TRUE(layout);
  ASSERT_EQ(layout->group_count(), 3u);
  EXPECT_EQ(layout->group(0).entry, 1u);
  EXPECT_EQ(layout->group(1).entry, 1u);
  EXPECT_EQ(layout->group(1).bytes, 50u);
  EXPECT_EQ(layout->group(2).entry, 3u);
  EXPECT_EQ(layout->group(2).offset, 0u);
}

TEST(DefaultGroupSizeTest, LargeCastsGetTheLargerGroup) {
  const std::uint64_t edge = kLargeCastBlocks * 1360;
  EXPECT_EQ(default_group_size({}, 1360), kSmallCastK);
  EXPECT_EQ(default_group_size({file("f", 512 << 10)}, 1360), kSmallCastK);
  EXPECT_EQ(default_group_size({file("f", edge - 1360)}, 1360), kSmallCastK);
  EXPECT_EQ(default_group_size({file("f", edge - 1359)}, 1360), kLargeCastK);
  EXPECT_EQ(default_group_size({file("f", std::uint64_t{256} << 20)}, 1360), kLargeCastK);
  // Blocks count per file (each file starts a group); directories have none.
  EXPECT_EQ(default_group_size({dir("d"), file("d/a", edge / 2), file("d/b", edge / 2)}, 1360), kLargeCastK);
  EXPECT_EQ(default_group_size({file("a", 1), file("b", 1)}, 1), kSmallCastK);
  // The same bytes in smaller blocks are more blocks.
  EXPECT_EQ(default_group_size({file("f", kLargeCastBlocks * 100)}, 100), kLargeCastK);
  EXPECT_EQ(default_group_size({file("f", kLargeCastBlocks * 100)}, 1360), kSmallCastK);
  EXPECT_EQ(default_group_size({file("f", 100)}, 0), kSmallCastK);
}

TEST(LayoutTest, RefusesBadParameters) {
  for (SessionParams p : {params(0), params(65001), params(100, 0), params(100, 255)}) {
    auto layout = Layout::create({file("f", 10)}, p);
    ASSERT_FALSE(layout);
    EXPECT_EQ(layout.error().code(), Errc::invalid_argument);
  }
  SessionParams no_channels = params();
  no_channels.repair_channels = 0;
  EXPECT_FALSE(Layout::create({}, no_channels));
  EXPECT_TRUE(Layout::create({}, params(65000, 254)));
}

SessionInfo info_for(std::vector<CastEntry> entries) {
  SessionInfo info;
  info.params = params();
  info.entries = std::move(entries);
  auto layout = Layout::create(info.entries, info.params);
  if (layout) info.group_digests.resize(layout->group_count());
  return info;
}

TEST(ValidateTest, AcceptsRelativePaths) {
  EXPECT_TRUE(validate(info_for({dir("a"), file("a/b.txt", 900), file("c", 0)})));
  EXPECT_TRUE(validate(info_for({})));
}

TEST(ValidateTest, RefusesPathsThatLeaveTheDestination) {
  for (const char* path : {"", "/etc/passwd", "a/../b", "..", "a//b", "a/", "./a", "a/."}) {
    Status s = validate(info_for({file(path, 1)}));
    ASSERT_FALSE(s) << path;
    EXPECT_EQ(s.error().code(), Errc::malformed) << path;
  }
}

TEST(ValidateTest, RefusesAWrongDigestCount) {
  SessionInfo info = info_for({file("f", 401)});
  info.group_digests.pop_back();
  Status s = validate(info);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("digests"), std::string::npos);
}

}  // namespace
}  // namespace cohort::filecast
