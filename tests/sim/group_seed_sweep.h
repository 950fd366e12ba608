// Runs group scenario seeds and reports every failing one as a test failure
// with its violations and the command that replays it. Shared by the group
// scenario tests and the sharded sweep.
#pragma once

#include <gtest/gtest.h>

#include "cohort/group/scenario.h"
#include "group_scenario_util.h"

namespace cohort::group {

// What the seeds injected, to show a sweep really exercised its faults.
struct SweepTotals {
  int failures = 0, crashes = 0, sequencer_crashes = 0, view_change_crashes = 0, partitions = 0, one_way = 0;
};

inline SweepTotals sweep_seeds(std::uint64_t first, std::uint64_t count, const GroupScenarioOptions& options,
                               int max_failures) {
  SweepTotals t;
  for (std::uint64_t seed = first; seed < first + count && t.failures < max_failures; ++seed) {
    GroupScenarioResult r = run_group_scenario(seed, options);
    t.crashes += r.crashes;
    t.sequencer_crashes += r.sequencer_crashes;
    t.view_change_crashes += r.view_change_crashes;
    t.partitions += r.partitions;
    t.one_way += r.one_way;
    if (r.ok()) continue;
    ++t.failures;
    ADD_FAILURE() << testing::describe(r, options);
  }
  return t;
}

}  // namespace cohort::group
