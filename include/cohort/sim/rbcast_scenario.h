// One seeded run of ReliableBroadcast in the simulator with random faults:
// loss, duplication, reordering, symmetric and asymmetric partitions, crashes
// and restarts during a fault window; then the network heals, every node is
// up, and after a settling time the history is checked. Used by the tests,
// the seed sweep and `cohort-sim`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cohort/sim/reliable_broadcast.h"
#include "cohort/sim/simulator.h"

namespace cohort::sim {

struct ScenarioOptions {
  std::size_t min_nodes = 3;
  std::size_t max_nodes = 7;
  int messages_per_node = 6;
  Duration fault_window = std::chrono::seconds(10);
  // Liveness bound: after the last fault every survivor must have delivered
  // everything and gone quiet within this simulated time.
  Duration settle = std::chrono::seconds(60);
  double max_loss = 0.2;
  bool faults = true;
  ReliableBroadcast::Bug bug = ReliableBroadcast::Bug::none;
  bool keep_trace = false;
};

struct FaultCounts {
  int partitions = 0;
  int one_way_blocks = 0;
  int heals = 0;
  int crashes = 0;
  int restarts = 0;
  int link_changes = 0;
};

struct ScenarioResult {
  std::uint64_t seed = 0;
  std::size_t nodes = 0;
  std::vector<std::string> violations;
  std::size_t broadcasts = 0;
  std::size_t deliveries = 0;
  FaultCounts faults;
  SimStats stats;
  std::uint64_t trace_hash = 0;
  std::string trace;
  bool ok() const { return violations.empty(); }
};

ScenarioResult run_rbcast_scenario(std::uint64_t seed, const ScenarioOptions& options = {});

// The command that replays `seed` with its full trace.
std::string replay_command(std::uint64_t seed);

}  // namespace cohort::sim
