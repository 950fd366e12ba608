// Group stacks in the simulator, every member's history checked with the
// offline checker (views, virtual synchrony, total order, FIFO, integrity,
// self-delivery, state transfer, liveness). A failing seed is printed with the
// command that replays it.
#include <gtest/gtest.h>

#include "cohort/group/scenario.h"

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
  GroupScenarioOptions options;
  options.stack = "total:gmp:stable:mnak:suspect";
  options.faults = false;
  options.max_loss = 0.2;
  options.reorder = true;
  sweep(0, 60, options);
}

}  // namespace
}  // namespace cohort::group
