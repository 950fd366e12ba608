// One seeded run of the tree launch in the deterministic simulator: a client
// and N host daemons (LaunchClient, LaunchNode), a fixed per-message latency
// with jitter, and optionally a fraction of hosts crashed before or during the
// launch. Checks that the client finishes within its liveness bound and that
// exactly the hosts the failure rule names are counted failed, at every level
// of the tree. Used by the tests and `cohort-sim launch`.
//
// The failure rule: a host is *lost* if it crashed before it sent Ready to its
// parent. A host is counted failed iff it or one of its ancestors in the
// launch tree (its branch head, that head's head, ...) is lost; every other
// host's task started and is counted started. A host that crashed after its
// Ready is counted started: its task did start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cohort/exec/launch_tree.h"

namespace cohort::exec {

struct LaunchScenarioOptions {
  std::size_t hosts = 10;
  std::size_t width = kDefaultLaunchWidth;
  double crash_fraction = 0.0;  // of the hosts; half crash before the launch, half during it
  Duration latency = 100us;     // one-way delay of a message: uniform in [latency, 2 * latency]
  LaunchCosts costs;
  bool keep_trace = false;
};

struct LaunchScenarioResult {
  std::uint64_t seed = 0;
  std::size_t depth = 0;
  bool finished = false;
  Duration launch_time{};   // simulated: the client's start to its last Ready
  Duration level_timeout{};
  std::uint32_t started = 0, failed = 0;  // as the client counted them
  std::size_t crashed = 0;
  std::size_t lost = 0;      // crashed before answering Ready
  std::size_t orphans = 0;   // tasks that started but are counted failed (a lost ancestor)
  std::uint64_t messages = 0;
  std::vector<std::string> violations;
  std::string trace;
  bool ok() const { return violations.empty(); }
};

// The level timeout the scenario's client uses: twice one level's worst case
// (every connect of a full fan-out, the spawn and a round trip at the highest
// latency), so a live branch is never given up.
Duration scenario_level_timeout(const LaunchScenarioOptions& options);

LaunchScenarioResult run_launch_scenario(std::uint64_t seed, const LaunchScenarioOptions& options = {});

// The command that replays `seed` with its full trace.
std::string launch_replay_command(std::uint64_t seed, const LaunchScenarioOptions& options);

}  // namespace cohort::exec
