// cohort: the user-facing command. Subsystems add their subcommands
// (commands.h); main parses, then runs the one that was chosen.
#include <CLI/CLI.hpp>
#include <array>

#include "commands.h"

namespace {

using Registration = void (*)(CLI::App&, cohort::cli::Action&);
constexpr std::array<Registration, 2> kSubsystems = {cohort::cli::add_group_commands,
                                                      cohort::cli::add_exec_commands};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort: fault-tolerant process groups and cluster tools"};
  app.require_subcommand(1);
  cohort::cli::Action action;
  for (Registration add : kSubsystems) add(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cohort::cli::kExitOk : cohort::cli::kExitUsage;
  }
  return action ? action() : cohort::cli::kExitUsage;
}
