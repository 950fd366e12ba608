// filecast in the simulator under faults other than loss: reordering and
// duplication, a receiver that crashes and resumes from what it stored, a
// late joiner, sealed sessions with forged datagrams, altered datagrams
// without a key (the group digests catch them), and edge-sized files.
#include <gtest/gtest.h>

#include "filecast_sweep.h"

namespace cohort::filecast {
namespace {

TEST(FilecastFaultsSim, ReorderingAndDuplication) {
  sweep(CastScenarioOptions{.loss = 0.1, .reorder = 0.2, .duplicate = 0.1}, 20);
}

TEST(FilecastFaultsSim, CrashedReceiverResumes) {
  CastScenarioOptions o{.loss = 0.05, .crash_restart = true};
  for (std::uint64_t seed = 1; seed <= 15; ++seed) {
    auto r = run_cast_scenario(seed, o);
    ASSERT_TRUE(r.ok()) << describe(r, o);
    const auto& victim = r.receivers.front();
    EXPECT_TRUE(victim.complete && victim.exact) << "seed " << seed << ": " << victim.error;
    // The restarted incarnation took over what the first one stored.
    EXPECT_LT(victim.stats.bytes_stored, 256u * 1024u) << "seed " << seed << " did not resume";
  }
}

TEST(FilecastFaultsSim, LateJoinerCatchesUp) { sweep(CastScenarioOptions{.loss = 0.05, .late_joiners = 1}, 15); }

TEST(FilecastFaultsSim, SealedSessionDropsForgedDatagrams) {
  CastScenarioOptions o{.loss = 0.05, .encrypt = true, .tamper = 0.2};
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    auto r = run_cast_scenario(seed, o);
    ASSERT_TRUE(r.ok()) << describe(r, o);
    for (const auto& rr : r.receivers) {
      EXPECT_TRUE(rr.complete && rr.exact) << "seed " << seed << " receiver " << rr.node << ": " << rr.error;
      EXPECT_GT(rr.stats.forged, 0u) << "seed " << seed;
      EXPECT_EQ(rr.stats.bad_groups, 0u) << "seed " << seed << ": a forged block got past the seal";
    }
  }
}

TEST(FilecastFaultsSim, DigestsCatchAlteredBlocksWithoutAKey) {
  CastScenarioOptions o{.loss = 0.05, .tamper = 0.01};
  std::uint64_t bad = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    auto r = run_cast_scenario(seed, o);
    ASSERT_TRUE(r.ok()) << describe(r, o);
    for (const auto& rr : r.receivers) {
      EXPECT_TRUE(rr.complete && rr.exact) << "seed " << seed << " receiver " << rr.node << ": " << rr.error;
      bad += rr.stats.bad_groups;
    }
  }
  EXPECT_GT(bad, 0u) << "no altered block was ever taken: the test checks nothing";
}

TEST(FilecastFaultsSim, EdgeSizedFiles) {
  // 0 bytes, 1 byte, exactly K blocks, K blocks and 1 byte, two groups and a bit.
  const std::uint64_t group = 32 * 1024;
  sweep(CastScenarioOptions{.file_sizes = {0, 1, group, group + 1, 2 * group + 7}, .loss = 0.1}, 15);
}

TEST(FilecastFaultsSim, ZeroGroupsAreStoredWithoutBeingSent) {
  // 256 KiB files of 32 KiB groups: zeros at 64-128 KiB and 192-256 KiB, 4 groups of 8.
  const CastScenarioOptions o{.file_sizes = {256 * 1024, 256 * 1024 + 5}, .loss = 0.1, .holes = true};
  sweep(o, 10);
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    auto r = run_cast_scenario(seed, o);
    for (const auto& rr : r.receivers) EXPECT_EQ(rr.stats.zero_groups, 8u) << "seed " << seed;
    EXPECT_EQ(r.sender.data_packets, 8u * 32u + 1u) << "seed " << seed << ": zero groups went out";
  }
}

TEST(FilecastFaultsSim, NothingToSendFinishesAtOnce) {
  auto r = run_cast_scenario(1, CastScenarioOptions{.file_sizes = {0}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.groups, 0u);
  for (const auto& rr : r.receivers) EXPECT_TRUE(rr.complete && rr.exact);
}

}  // namespace
}  // namespace cohort::filecast
