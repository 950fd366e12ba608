// flow, drop and delay on the simulator: a fast sender is held to its window
// without losing a cast, and the fault layers lose and hold what they say.
#include <gtest/gtest.h>

#include "cohort/group/layers/delay.h"
#include "cohort/group/layers/drop.h"
#include "cohort/group/layers/flow.h"
#include "group_harness.h"

namespace cohort::group::testing {
namespace {

// Node 0 tries to cast `total` messages as fast as cast() allows, retrying
// every millisecond after would_block.
struct FastSender {
  std::size_t sent = 0;
  std::size_t refused = 0;
  std::size_t max_burst = 0;
};

FastSender run_fast_sender(sim::Simulator& sim, std::size_t total, std::int64_t until_ms) {
  FastSender s;
  for (std::int64_t ms = 1; ms < until_ms; ++ms) {
    sim.at(at_ms(ms), [&sim, &s, total] {
      std::size_t burst = 0;
      sim.call<GroupMachine>(0, [&](GroupMachine& m, TimePoint now, Actions& out) {
        while (s.sent < total) {
          Status st = m.cast(now, Buffer::copy_of(std::to_string(s.sent)), out);
          if (!st) {
            EXPECT_EQ(st.error().code(), Errc::would_block);
            ++s.refused;
            break;
          }
          ++s.sent;
          ++burst;
        }
      });
      s.max_burst = std::max(s.max_burst, burst);
    });
  }
  sim.run_until(at_ms(until_ms));
  return s;
}

TEST(GroupFlow, FastSenderIsBlockedLosesNothingAndResumes) {
  constexpr std::size_t kTotal = 1000;
  const std::uint64_t window = FlowOptions{}.window;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    sim::Simulator sim = group_sim(seed, 3, "flow");
    sim.network().set_default(fifo_links());  // no reliable FIFO layer in this stack
    sim.start();
    FastSender s = run_fast_sender(sim, kTotal, 3000);
    EXPECT_EQ(s.sent, kTotal) << "seed " << seed << ": the sender stalled";
    EXPECT_GT(s.refused, 0u) << "seed " << seed << ": never blocked";
    EXPECT_LE(s.max_burst, window) << "seed " << seed;
    const auto& flow = app(sim, 0).flow;
    ASSERT_GE(flow.size(), 2u) << "seed " << seed;
    EXPECT_FALSE(flow.front()) << "seed " << seed;
    EXPECT_TRUE(flow.back()) << "seed " << seed << ": the window stayed shut";
    EXPECT_TRUE(machine(sim, 0).can_send()) << "seed " << seed;
    for (NodeId n = 0; n < 3; ++n) {
      const auto& got = app(sim, n).deliveries;
      ASSERT_EQ(got.size(), kTotal) << "seed " << seed << " node " << n;
      for (std::size_t i = 0; i < kTotal; ++i) {
        EXPECT_EQ(got[i].hash, RecordingApp::hash(Buffer::copy_of(std::to_string(i)))) << "seed " << seed;
      }
    }
  }
}

// A member that never acknowledges (crashed, no membership layer to remove
// it) keeps the window shut after `window` casts: nothing beyond is taken.
TEST(GroupFlow, SilentMemberHoldsTheSenderAtTheWindow) {
  sim::Simulator sim = group_sim(4, 3, "flow");
  sim.start();
  sim.crash(2);
  FastSender s = run_fast_sender(sim, 1000, 500);
  EXPECT_EQ(s.sent, FlowOptions{}.window) << "seed 4";
  EXPECT_FALSE(machine(sim, 0).can_send()) << "seed 4";
  EXPECT_EQ(app(sim, 1).deliveries.size(), FlowOptions{}.window) << "seed 4";
}

TEST(GroupDrop, DropsAboutTheConfiguredShareOfOthersMessages) {
  constexpr std::size_t kCasts = 4000;
  sim::Simulator sim = group_sim(21, 2, "drop");
  sim.start();
  sim.call<GroupMachine>(0, [&](GroupMachine& m, TimePoint now, Actions& out) {
    for (std::size_t i = 0; i < kCasts; ++i)
      ASSERT_TRUE(m.cast(now, Buffer::copy_of(std::to_string(i)), out).ok());
  });
  sim.run_until(at_ms(1000));
  EXPECT_EQ(app(sim, 0).deliveries.size(), kCasts) << "seed 21: own loopback is never dropped";
  auto got = static_cast<double>(app(sim, 1).deliveries.size());
  double expected = (1.0 - DropOptions{}.rate) * kCasts;
  EXPECT_NEAR(got, expected, 0.02 * kCasts) << "seed 21";
}

TEST(GroupDelay, HoldsMessagesForTheConfiguredTimeInOrder) {
  sim::Simulator sim = group_sim(22, 2, "delay");
  sim.network().set_default(fifo_links());
  sim.start();
  sim.at(at_ms(100), [&] {
    sim.call<GroupMachine>(0, [&](GroupMachine& m, TimePoint now, Actions& out) {
      for (int i = 0; i < 5; ++i) ASSERT_TRUE(m.cast(now, pattern(static_cast<std::size_t>(i), 1), out).ok());
    });
  });
  sim.run_until(at_ms(1000));
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(DelayOptions{}.delay).count();
  for (NodeId n = 0; n < 2; ++n) {
    auto got = records(sim, n, "deliver");
    ASSERT_EQ(got.size(), 5u) << "seed 22 node " << n;
    std::int64_t link = n == 0 ? 0 : 1;  // own casts loop back without the wire
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].time, at_ms(100 + link + delay)) << "seed 22 node " << n;
      EXPECT_EQ(got[i].record, fmt::format("deliver from=0 size={}", i)) << "seed 22 node " << n;
    }
  }
}

}  // namespace
}  // namespace cohort::group::testing
