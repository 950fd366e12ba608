// filecast with 1,000 receivers at 5% loss: suppression keeps requests at
// most 2 per group on average, and completion (simulated, from the sender's
// start) stays within 1.3x that of 4 receivers on the same file and seeds.
#include <gtest/gtest.h>

#include "filecast_sweep.h"

namespace cohort::filecast {
namespace {

void check_thousand_against_four(const CastScenarioOptions& o, std::uint64_t seeds) {
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    CastScenarioOptions small = o;
    small.receivers = 4;
    CastScenarioOptions large = o;
    large.receivers = 1000;
    auto a = run_cast_scenario(seed, small);
    auto b = run_cast_scenario(seed, large);
    ASSERT_TRUE(a.ok()) << describe(a, small);
    ASSERT_TRUE(b.ok()) << describe(b, large);
    for (const auto& rr : b.receivers) ASSERT_TRUE(rr.complete && rr.exact) << "seed " << seed << " " << rr.node;
    const double ms4 = std::chrono::duration<double, std::milli>(a.completion).count();
    const double ms1000 = std::chrono::duration<double, std::milli>(b.completion).count();
    std::printf("K %u seed %lu: 4 receivers %.1f ms, %.3f requests/group; "
                "1000 receivers %.1f ms, %.3f requests/group\n",
                unsigned{o.k}, static_cast<unsigned long>(seed), ms4, a.requests_per_group, ms1000,
                b.requests_per_group);
    EXPECT_LE(b.requests_per_group, 2.0) << "seed " << seed;
    EXPECT_LE(ms1000, 1.3 * ms4) << "seed " << seed;
  }
}

TEST(FilecastScaleSim, ThousandReceiversAtFivePercent) {
  check_thousand_against_four({.file_sizes = {128 * 1024}, .block_size = 512, .loss = 0.05}, 2);
}

// K = 64, cohort cast's default, over 16 groups.
TEST(FilecastScaleSim, ThousandReceiversAtFivePercentWithTheDefaultGroupSize) {
  check_thousand_against_four({.file_sizes = {512 * 1024}, .k = 64, .block_size = 512, .loss = 0.05}, 1);
}

}  // namespace
}  // namespace cohort::filecast
