// Group stacks in the simulator, every member's history checked with the
// offline checker (views, virtual synchrony, total order, FIFO, integrity,
// self-delivery, state transfer, liveness). A failing seed is printed with the
// command that replays it.
#include <gtest/gtest.h>

#include "cohort/group/scenario.h"
#include "group_scenario_util.h"

namespace cohort::group {
namespace {

void sweep(std::uint64_t first, std::uint64_t count, const GroupScenarioOptions& options) {
  int failures = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    GroupScenarioResult r = run_group_scenario(seed, options);
    if (r.ok()) continue;
    ++failures;
    std::string why;
    for (const auto& v : r.violations) why += "\n  " + v;
    ADD_FAILURE() << "seed " << seed << " failed:" << why
                  << "\n  reproduce with: " << group_replay_command(seed, options.stack);
    if (failures >= 3) return;
  }
}

TEST(GroupScenario, MergesJoinsAndTotalOrderWithoutFaults) {
  GroupScenarioOptions options;
  options.faults = false;
  sweep(0, 100, options);
}

TEST(GroupScenario, FullStackThroughLossDuplicationAndReorderingWithJoins) {
  sweep(0, 60, testing::lossy("total:gmp:stable:mnak:suspect"));
}

// Every property at once, the layers chosen by stack_for_properties; the
// checker layers it adds ("check") must stay silent too.
TEST(GroupScenario, PropertySelectedStackThroughLossDuplicationAndReordering) {
  sweep(0, 20, testing::lossy("props:check:safe:frag:batch:flow:pt2pt"));
}

}  // namespace
}  // namespace cohort::group
