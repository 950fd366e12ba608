// One seeded run of a group stack in the simulator with random faults, all
// drawn from the seed: loss, duplication and reordering (for stacks with
// reliable layers), symmetric and one-way partitions and heals, crashes and
// restarts, crashes of the first member of a view (sequencer and
// coordinator) and of a member blocked in a view change, and in half the
// runs a node that first starts during the traffic. Then the network heals,
// every node is up, and after a settling time every member's history (JSON
// lines, the same format `cohort group --history` writes) is checked with
// check_history, and so is every violation a checker layer in the stack
// reported on the way. Used by the tests, the long sweep and `cohort-sim group`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cohort/group/group_machine.h"
#include "cohort/group/history_checker.h"
#include "cohort/group/layers/bottom.h"
#include "cohort/sim/network.h"

namespace cohort::group {

struct GroupScenarioOptions {
  std::string stack = "total:gmp:suspect";
  std::size_t min_nodes = 3;
  std::size_t max_nodes = 6;
  int casts_per_node = 8;
  Duration fault_window = std::chrono::seconds(10);
  Duration settle = std::chrono::seconds(30);  // the liveness bound
  double max_loss = 0.0;                      // > 0 only for stacks that repair loss
  bool reorder = false;                       // likewise for reordering and duplication
  bool faults = true;
  // Partitions and one-way link failures (with `faults`). A partition loses
  // the datagrams it blocks, which only stacks with a reliable layer repair.
  bool partitions = true;
  bool total_order = true;
  bool keep_history = false;
  // Layers of the test's own that `stack` may name.
  ExtraLayers extra_layers;
  BottomMode bottom = BottomMode::fanout;  // how casts travel: unicast fan-out or one multicast
  bool keep_trace = false;  // the simulator's event trace, faults included
};

struct GroupScenarioResult {
  std::uint64_t seed = 0;
  std::size_t nodes = 0;
  HistoryCheck check;
  std::vector<std::string> violations;  // flattened, "property: what"
  // Violation records of checker layers ("chk_total violation: ..."), also in `violations`.
  std::vector<std::string> layer_violations;
  int crashes = 0, restarts = 0, partitions = 0, one_way = 0, heals = 0;
  int sequencer_crashes = 0;    // of the first member of a view (sequencer and coordinator)
  int view_change_crashes = 0;  // of a member blocked in a view change
  int late_joins = 0;           // nodes that first start during the traffic
  std::uint64_t packets = 0;
  std::vector<std::string> history;  // JSON lines, if kept
  std::string trace;                  // if kept
  bool ok() const { return violations.empty(); }
};

GroupScenarioResult run_group_scenario(std::uint64_t seed, const GroupScenarioOptions& options = {});
// The `cohort-sim group` command that replays `seed` with these options.
std::string group_replay_command(std::uint64_t seed, const GroupScenarioOptions& options);

}  // namespace cohort::group
