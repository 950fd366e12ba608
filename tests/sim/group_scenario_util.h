// Helpers for tests that run the group scenario: the lossy no-fault options
// and a failing run's description with its replay command.
#pragma once

#include <string>

#include "cohort/group/scenario.h"

namespace cohort::group::testing {

// Loss up to 20%, duplication and reordering; joins and merges, no crashes
// or partitions.
inline GroupScenarioOptions lossy(const std::string& stack) {
  GroupScenarioOptions options;
  options.stack = stack;
  options.faults = false;
  options.max_loss = 0.2;
  options.reorder = true;
  return options;
}

inline std::string describe(const GroupScenarioResult& r, const GroupScenarioOptions& options) {
  std::string why;
  for (const auto& v : r.violations) why += "\n  " + v;
  return "seed " + std::to_string(r.seed) + ":" + why + "\n  reproduce with: " + group_replay_command(r.seed, options);
}

}  // namespace cohort::group::testing
