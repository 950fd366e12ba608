// `cohort-sim cast`: one filecast session (or a sweep of seeds) in the
// simulator, with completion times, packets and requests per group.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>

#include "cohort/filecast/cast_scenario.h"

namespace cohort::sim {

struct CastArgs {
  std::uint64_t seed = 0, first = 0, count = 0;
  bool trace = false;
  filecast::CastScenarioOptions options;
};

// Registers the subcommand; `args` is filled when it is parsed.
CLI::App* add_cast_command(CLI::App& app, CastArgs& args);
int run_cast_command(CastArgs args);

}  // namespace cohort::sim
