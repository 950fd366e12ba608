// Group stacks in the simulator, every member's history checked with the
// offline checker (views, virtual synchrony, total order, FIFO, integrity,
// self-delivery, state transfer, liveness). A failing seed is printed with the
// command that replays it.
#include "group_seed_sweep.h"

namespace cohort::group {
namespace {

void sweep(std::uint64_t first, std::uint64_t count, const GroupScenarioOptions& options) {
  sweep_seeds(first, count, options, /*max_failures=*/3);
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
