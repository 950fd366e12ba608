// The group seed sweep: the full stack total:gmp:stable:mnak:suspect with
// every fault the scenario injects at once (loss up to 20%, duplication,
// reordering, symmetric and one-way partitions and heals, crashes and
// restarts, of the sequencer and during view changes, late joins under
// traffic), every history checked, in both modes of the bottom layer. Sharded so ctest runs shards in parallel;
// a failing seed is printed with the command that replays it. The long sweep
// is `make sweep-group`.
#include "group_seed_sweep.h"

namespace cohort::group {
namespace {

constexpr std::uint64_t kSeedsPerShard = 50;
constexpr std::uint64_t kShards = 10;

// Odd shards run the bottom in multicast mode, even ones in unicast fan-out.
GroupScenarioOptions full_stack_every_fault(std::uint64_t shard) {
  GroupScenarioOptions options;
  options.bottom = shard % 2 == 1 ? BottomMode::multicast : BottomMode::fanout;
  options.stack = "total:gmp:stable:mnak:suspect";
  options.max_loss = 0.2;
  options.reorder = true;
  return options;
}

class GroupSweep : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(GroupSweep, EverySeedSatisfiesEveryProperty) {
  SweepTotals t = sweep_seeds(GetParam() * kSeedsPerShard, kSeedsPerShard, full_stack_every_fault(GetParam()),
                              static_cast<int>(kSeedsPerShard));
  EXPECT_EQ(t.failures, 0);
  // The shard really injected every kind of fault.
  EXPECT_GT(t.crashes, 0);
  EXPECT_GT(t.sequencer_crashes, 0);
  EXPECT_GT(t.view_change_crashes, 0);
  EXPECT_GT(t.partitions, 0);
  EXPECT_GT(t.one_way, 0);
}

INSTANTIATE_TEST_SUITE_P(Shards, GroupSweep, ::testing::Range<std::uint64_t>(0, kShards));

}  // namespace
}  // namespace cohort::group
