// The tree launch machines driven by hand: sends are spaced by the per-child
// cost, Ready waits for the task and every branch, and a silent or lying
// branch counts wholly failed instead of holding the launch.
#include "cohort/exec/launch_tree.h"

#include <gtest/gtest.h>

#include "machine_actions.h"

namespace cohort::exec {
namespace {

using cohort::testing::actions_of;

const TimePoint t0{};
constexpr TimerKey kSend = 1, kSpawn = 2, kFirstBranch = TimerKey{1} << 32;


LaunchMessage decoded(const SendAction& send) {
  auto m = decode_launch_message(send.bytes);
  EXPECT_TRUE(m.ok());
  return *m;
}

// Host 0 (node 1) relays to hosts 1..4 with width 2: branches {1: 2} and {3: 4}.
struct RelayFixture : ::testing::Test {
  LaunchNode node{launch_node(0), LaunchCosts{}};

  void SetUp() override {
    Actions out;
    node.on_packet(t0, kLaunchClient, encode_launch_message(Launch{5, 2, 100, 0, {1, 2, 3, 4}}), out);
    auto timers = actions_of<SetTimerAction>(out);
    ASSERT_EQ(timers.size(), 2u);
    EXPECT_EQ(timers[0].key, kSpawn);
    EXPECT_EQ(timers[0].after, LaunchCosts{}.spawn);
    EXPECT_EQ(timers[1].key, kSend);
    EXPECT_EQ(timers[1].after, LaunchCosts{}.per_child);
    EXPECT_TRUE(actions_of<SendAction>(out).empty()) << "the first connect takes per_child";
  }

  // Sends both branch Launches; returns the second branch's Launch.
  Launch send_both() {
    Actions first, second;
    node.on_timer(t0, kSend, first);
    node.on_timer(t0, kSend, second);
    auto sends = actions_of<SendAction>(first);
    EXPECT_EQ(sends.size(), 1u);
    EXPECT_EQ(sends[0].to, launch_node(1));
    EXPECT_EQ(std::get<Launch>(decoded(sends[0])), (Launch{5, 2, 100, 1, {2}}));
    EXPECT_EQ(actions_of<SetTimerAction>(first).back().key, kSend) << "the next connect follows";
    auto timeouts = actions_of<SetTimerAction>(first);
    EXPECT_EQ(timeouts[0].key, kFirstBranch);
    EXPECT_EQ(timeouts[0].after, 2 * 100ms) << "a one-level subtree gets two level timeouts";
    return std::get<Launch>(decoded(actions_of<SendAction>(second).at(0)));
  }

  std::vector<SendAction> ready_after(NodeId from, Ready ready) {
    Actions out;
    node.on_packet(t0, from, encode_launch_message(ready), out);
    return actions_of<SendAction>(out);
  }
};

TEST_F(RelayFixture, AnswersReadyOnceTheTaskAndEveryBranchAreIn) {
  EXPECT_EQ(send_both(), (Launch{5, 2, 100, 3, {4}}));
  EXPECT_TRUE(ready_after(launch_node(1), Ready{5, 2, 0}).empty());
  EXPECT_TRUE(ready_after(launch_node(3), Ready{5, 1, 1}).empty()) << "its own task has not started yet";
  Actions out;
  node.on_timer(t0, kSpawn, out);
  auto sends = actions_of<SendAction>(out);
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].to, kLaunchClient);
  EXPECT_EQ(std::get<Ready>(decoded(sends[0])), (Ready{5, 4, 1}));
}

TEST_F(RelayFixture, ASilentBranchCountsWhollyFailedAtItsTimeout) {
  send_both();
  Actions spawn;
  node.on_timer(t0, kSpawn, spawn);
  EXPECT_TRUE(ready_after(launch_node(1), Ready{5, 2, 0}).empty());
  Actions out;
  node.on_timer(t0, kFirstBranch + 1, out);
  auto sends = actions_of<SendAction>(out);
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(std::get<Ready>(decoded(sends[0])), (Ready{5, 3, 2}));
  EXPECT_TRUE(ready_after(launch_node(3), Ready{5, 2, 0}).empty()) << "a late answer changes nothing";
}

TEST_F(RelayFixture, CountsThatDoNotAddUpFailTheBranch) {
  send_both();
  Actions spawn;
  node.on_timer(t0, kSpawn, spawn);
  EXPECT_TRUE(ready_after(launch_node(1), Ready{5, 9, 0}).empty());
  EXPECT_TRUE(ready_after(launch_node(1), Ready{5, 2, 0}).empty()) << "one answer per branch";
  EXPECT_TRUE(ready_after(launch_node(3), Ready{6, 2, 0}).empty()) << "another launch's answer is ignored";
  auto sends = ready_after(launch_node(3), Ready{5, 2, 0});
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(std::get<Ready>(decoded(sends[0])), (Ready{5, 3, 2}));
}

TEST(LaunchNode, IgnoresMisroutedRepeatedAndGarbledLaunches) {
  LaunchNode node{launch_node(4), LaunchCosts{}};
  Actions out;
  node.on_packet(t0, kLaunchClient, encode_launch_message(Launch{1, 2, 100, 3, {}}), out);
  node.on_packet(t0, kLaunchClient, Buffer::copy_of(std::string_view("\x01garbage")), out);
  EXPECT_TRUE(out.empty());
  node.on_packet(t0, kLaunchClient, encode_launch_message(Launch{1, 2, 100, 4, {}}), out);
  EXPECT_EQ(actions_of<SetTimerAction>(out).size(), 1u) << "a leaf only waits for its task";
  Actions again;
  node.on_packet(t0, kLaunchClient, encode_launch_message(Launch{1, 2, 100, 4, {}}), again);
  EXPECT_TRUE(again.empty());
  Actions spawn;
  node.on_timer(t0, kSpawn, spawn);
  EXPECT_EQ(std::get<Ready>(decoded(actions_of<SendAction>(spawn).at(0))), (Ready{1, 1, 0}));
}

TEST(LaunchClient, FinishesWhenTheCountsCoverEveryHost) {
  LaunchClient client{LaunchClientOptions{.hosts = 3, .width = 2, .level_timeout = 50ms}};
  Actions out;
  client.start(t0, out);
  client.on_timer(t0, kSend, out);
  client.on_timer(t0 + 1ms, kSend, out);
  auto sends = actions_of<SendAction>(out);
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_EQ(std::get<Launch>(decoded(sends[0])), (Launch{1, 2, 50, 0, {1}}));
  EXPECT_EQ(std::get<Launch>(decoded(sends[1])), (Launch{1, 2, 50, 2, {}}));
  Actions in;
  client.on_packet(t0 + 7ms, launch_node(2), encode_launch_message(Ready{1, 1, 0}), in);
  EXPECT_FALSE(client.finished());
  client.on_timer(t0 + 100ms, kFirstBranch, in);
  ASSERT_TRUE(client.finished());
  EXPECT_EQ(client.started(), 1u);
  EXPECT_EQ(client.failed(), 2u);
  EXPECT_EQ(client.elapsed(), 100ms);
  EXPECT_EQ(actions_of<OutputAction>(in).back().record, "done started=1 failed=2");
}

TEST(LaunchClient, NoHostsIsDoneAtOnce) {
  LaunchClient client{LaunchClientOptions{.hosts = 0}};
  Actions out;
  client.start(t0, out);
  EXPECT_TRUE(client.finished());
  EXPECT_EQ(client.elapsed(), Duration::zero());
}

}  // namespace
}  // namespace cohort::exec
