// Group stacks in the simulator, every member's history checked with the
// offline checker (views, virtual synchrony, total order, FIFO, integrity,
// self-delivery, state transfer, liveness). A failing seed is printed with the
// command that replays it.
#include "group_seed_sweep.h"
#include "group_scenario_util.h"

namespace cohort::group {
namespace {

void sweep(std::uint64_t first, std::uint64_t count, const GroupScenarioOptions& options) {
  sweep_seeds(first, count, options, /*max_failures=*/3);
}

// Both bottom modes are first-class: every sweep runs with unicast fan-out
// and with one multicast per cast to the group's channel.
GroupScenarioOptions without_faults(BottomMode bottom) {
  GroupScenarioOptions options;
  options.faults = false;
  options.bottom = bottom;
  return options;
}

GroupScenarioOptions full_stack_through_loss(BottomMode bottom) {
  GroupScenarioOptions options = testing::lossy("total:gmp:stable:mnak:suspect");
  options.bottom = bottom;
  return options;
}

TEST(GroupScenario, MergesJoinsAndTotalOrderWithoutFaults) { sweep(0, 100, without_faults(BottomMode::fanout)); }

TEST(GroupScenario, FullStackThroughLossDuplicationAndReorderingWithJoins) {
  sweep(0, 60, full_stack_through_loss(BottomMode::fanout));
}

TEST(GroupScenario, MulticastBottomMergesJoinsAndTotalOrderWithoutFaults) {
  sweep(0, 100, without_faults(BottomMode::multicast));
}

TEST(GroupScenario, MulticastBottomFullStackThroughLossDuplicationAndReorderingWithJoins) {
  sweep(0, 60, full_stack_through_loss(BottomMode::multicast));
}

// Multicast mode really multicasts: with more than two members every seed
// puts fewer datagrams on the network than fan-out does.
TEST(GroupScenario, MulticastBottomSendsFewerDatagramsThanFanout) {
  GroupScenarioOptions options = without_faults(BottomMode::fanout);
  options.min_nodes = 4;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    GroupScenarioResult fanout = run_group_scenario(seed, options);
    options.bottom = BottomMode::multicast;
    GroupScenarioResult multicast = run_group_scenario(seed, options);
    options.bottom = BottomMode::fanout;
    EXPECT_TRUE(fanout.ok() && multicast.ok()) << "seed " << seed;
    EXPECT_LT(multicast.packets, fanout.packets) << "seed " << seed;
  }
}

// Every property at once, the layers chosen by stack_for_properties; the
// checker layers it adds ("check") must stay silent too.
TEST(GroupScenario, PropertySelectedStackThroughLossDuplicationAndReordering) {
  sweep(0, 20, testing::lossy("props:check:safe:frag:batch:flow:pt2pt"));
}

}  // namespace
}  // namespace cohort::group
