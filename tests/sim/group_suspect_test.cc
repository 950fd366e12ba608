// suspect on the simulator: it finds a crashed member in time, stays quiet on
// a lossy but healthy network, and one broken link does not make a live
// member suspected while a third member still hears it.
#include <gtest/gtest.h>

#include "group_harness.h"

namespace cohort::group::testing {
namespace {

// The defaults of SuspectOptions: timeout, probe and one tick for each phase.
constexpr std::int64_t kDetectMs = 1000 + 300 + 2 * 100;
constexpr std::int64_t kMarginMs = 200;

TEST(GroupSuspect, CrashedMemberIsSuspectedWithinTheTimeout) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    sim::Simulator sim = group_sim(seed, 3, "suspect");
    sim.start();
    sim.at(at_ms(2000), [&] { sim.crash(2); });
    sim.run_until(at_ms(6000));
    for (NodeId n : {0u, 1u}) {
      auto s = records(sim, n, "suspect");
      ASSERT_EQ(s.size(), 1u) << "seed " << seed << " node " << n << ": one SuspectEvent per new set";
      EXPECT_EQ(s[0].record, "suspect 2") << "seed " << seed;
      EXPECT_GE(s[0].time, at_ms(2000 + 1000)) << "seed " << seed << ": suspected before the timeout";
      EXPECT_LE(s[0].time, at_ms(2000 + kDetectMs + kMarginMs)) << "seed " << seed << ": suspected late";
    }
  }
}

TEST(GroupSuspect, HealthyNetworkWithTenPercentLossSuspectsNoOne) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    sim::Simulator sim = group_sim(seed, 4, "suspect");
    sim.network().set_default(sim::LinkProfile{.loss = 0.1});
    sim.start();
    sim.run_until(at_ms(120'000));
    for (NodeId n = 0; n < 4; ++n) {
      EXPECT_TRUE(records(sim, n, "suspect").empty()) << "seed " << seed << " node " << n;
    }
  }
}

// A cannot hear B, or B cannot hear A; C hears both and vouches for them.
void expect_no_suspicion_with_blocked_link(NodeId from, NodeId to) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    sim::Simulator sim = group_sim(seed, 3, "suspect");
    sim.start();
    sim.at(at_ms(500), [&] { sim.network().block(from, to); });
    sim.run_until(at_ms(30'000));
    for (NodeId n = 0; n < 3; ++n) {
      EXPECT_TRUE(records(sim, n, "suspect").empty())
          << "seed " << seed << " node " << n << " with " << from << "->" << to << " blocked";
    }
  }
}

TEST(GroupSuspect, BlockedLinkBToADoesNotMakeASuspectB) { expect_no_suspicion_with_blocked_link(1, 0); }
TEST(GroupSuspect, BlockedLinkAToBDoesNotMakeBSuspectA) { expect_no_suspicion_with_blocked_link(0, 1); }

// Control for the two above: with C unable to vouch (B cut off from both),
// B is suspected, so the quiet above is the probe's doing.
TEST(GroupSuspect, MemberCutOffFromEveryoneIsSuspected) {
  sim::Simulator sim = group_sim(7, 3, "suspect");
  sim.start();
  sim.at(at_ms(500), [&] {
    sim.network().block(1, 0);
    sim.network().block(1, 2);
  });
  sim.run_until(at_ms(5000));
  auto s = records(sim, 0, "suspect");
  ASSERT_EQ(s.size(), 1u) << "seed 7";
  EXPECT_EQ(s[0].record, "suspect 1") << "seed 7";
}

}  // namespace
}  // namespace cohort::group::testing
