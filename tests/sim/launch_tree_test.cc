// The tree launch in the simulator: launches of 10 and 10,000 hosts complete
// with the right counts, crashes before and during a launch never hang it and
// are counted by the failure rule (docs/exec.md), and the simulated time of
// 10,000 hosts stays within 10x that of 10 (virtual time, deterministic).
#include <gtest/gtest.h>

#include "cohort/exec/launch_scenario.h"

namespace cohort::exec {
namespace {

std::string describe(const LaunchScenarioResult& r, const LaunchScenarioOptions& o) {
  std::string text = "seed " + std::to_string(r.seed) + " failed:\n";
  for (const auto& v : r.violations) text += "  " + v + "\n";
  return text + "  reproduce with: " + launch_replay_command(r.seed, o) + "\n";
}

LaunchScenarioResult run_ok(std::uint64_t seed, const LaunchScenarioOptions& o) {
  LaunchScenarioResult r = run_launch_scenario(seed, o);
  EXPECT_TRUE(r.ok()) << describe(r, o);
  return r;
}

void expect_complete(std::size_t hosts, std::size_t depth) {
  LaunchScenarioOptions o{.hosts = hosts};
  auto r = run_ok(1, o);
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.started, hosts);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_EQ(r.depth, depth);
  EXPECT_EQ(r.messages, 2 * hosts) << "one Launch and one Ready per host";
}

TEST(LaunchTreeSim, TenHostsComplete) { expect_complete(10, 1); }

TEST(LaunchTreeSim, TenThousandHostsComplete) { expect_complete(10000, 3); }

TEST(LaunchTreeSim, TenThousandHostsTakeAtMostTenTimesTen) {
  for (std::size_t width : {8u, 16u, 32u}) {
    auto small = run_ok(1, LaunchScenarioOptions{.hosts = 10, .width = width});
    auto large = run_ok(1, LaunchScenarioOptions{.hosts = 10000, .width = width});
    EXPECT_LE(large.launch_time, 10 * small.launch_time)
        << "width " << width << ": " << large.launch_time.count() << " ns vs " << small.launch_time.count() << " ns";
  }
}

TEST(LaunchTreeSim, AFlatLaunchGrowsWithN) {
  // The yardstick: one client connecting to every host itself.
  auto small = run_ok(1, LaunchScenarioOptions{.hosts = 10, .width = kMaxLaunchWidth});
  auto large = run_ok(1, LaunchScenarioOptions{.hosts = 1000, .width = kMaxLaunchWidth});
  EXPECT_EQ(large.depth, 1u);
  EXPECT_GT(large.launch_time, 10 * small.launch_time);
}

void sweep(LaunchScenarioOptions o, std::uint64_t seeds) {
  std::size_t lost = 0, orphans = 0;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    auto r = run_ok(seed, o);
    EXPECT_EQ(std::size_t{r.started} + r.failed, o.hosts) << describe(r, o);
    lost += r.lost;
    orphans += r.orphans;
  }
  // The sweep must exercise crashes before Ready, some of them mid-launch.
  EXPECT_GT(lost, 0u);
  EXPECT_GT(orphans, 0u);
}

TEST(LaunchTreeSim, CrashesFollowTheFailureRuleOver200Seeds) {
  sweep(LaunchScenarioOptions{.hosts = 300, .width = 4, .crash_fraction = 0.05}, 200);
}

TEST(LaunchTreeSim, ManyCrashesInANarrowTree) {
  sweep(LaunchScenarioOptions{.hosts = 100, .width = 2, .crash_fraction = 0.3}, 100);
}

TEST(LaunchTreeSim, CrashesInAChain) {
  sweep(LaunchScenarioOptions{.hosts = 30, .width = 1, .crash_fraction = 0.1}, 50);
}

TEST(LaunchTreeSim, CrashesInAWideLaunchOfTenThousand) {
  LaunchScenarioOptions o{.hosts = 10000, .crash_fraction = 0.01};
  auto r = run_ok(3, o);
  EXPECT_EQ(std::size_t{r.started} + r.failed, o.hosts);
  EXPECT_EQ(r.crashed, 100u);
  EXPECT_GE(r.failed, r.lost);
}

TEST(LaunchTreeSim, SameSeedSameRun) {
  LaunchScenarioOptions o{.hosts = 200, .width = 3, .crash_fraction = 0.1, .keep_trace = true};
  auto a = run_launch_scenario(11, o);
  auto b = run_launch_scenario(11, o);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(a.launch_time, b.launch_time);
}

}  // namespace
}  // namespace cohort::exec
