// `cohort-sim launch`: the tree launch of `cohort run` over one seed or a
// sweep, with the simulated launch time, the depth and the message count.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>

#include "cohort/exec/launch_scenario.h"

namespace cohort::sim {

struct LaunchArgs {
  std::uint64_t seed = 0, first = 0, count = 0;
  bool trace = false;
  std::int64_t latency_us = 100, per_child_us = 1000, spawn_us = 5000;
  exec::LaunchScenarioOptions options;
};

// Registers the subcommand; `args` is filled when it is parsed.
CLI::App* add_launch_command(CLI::App& app, LaunchArgs& args);
int run_launch_command(LaunchArgs args);

}  // namespace cohort::sim
