// The reliable-broadcast seed sweep: 1,000 seeds with loss up to 20%,
// duplication, reordering, symmetric and asymmetric partitions, crashes and
// restarts; every history is checked. Sharded so ctest can run shards in
// parallel. A failing seed is printed with the command that replays it.
#include <gtest/gtest.h>

#include "cohort/sim/rbcast_scenario.h"

namespace cohort::sim {
namespace {

constexpr std::uint64_t kSeedsPerShard = 250;

class RbcastSweep : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(RbcastSweep, EverySeedSatisfiesEveryProperty) {
  std::uint64_t first = GetParam() * kSeedsPerShard;
  int failures = 0;
  int faults_seen = 0;
  for (std::uint64_t seed = first; seed < first + kSeedsPerShard; ++seed) {
    ScenarioResult r = run_rbcast_scenario(seed);
    faults_seen += r.faults.crashes + r.faults.partitions + r.faults.one_way_blocks;
    if (r.ok()) continue;
    ++failures;
    std::string why;
    for (const auto& v : r.violations) why += "\n  " + v;
    ADD_FAILURE() << "seed " << seed << " failed:" << why << "\n  reproduce with: " << replay_command(seed);
  }
  EXPECT_EQ(failures, 0);
  EXPECT_GT(faults_seen, static_cast<int>(kSeedsPerShard));  // the sweep really injected faults
}

INSTANTIATE_TEST_SUITE_P(Shards, RbcastSweep, ::testing::Values(0, 1, 2, 3));

}  // namespace
}  // namespace cohort::sim
