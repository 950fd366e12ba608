// cohort: the user-facing command. Subsystems add their subcommands
// (commands.h); main parses, then runs the one that was chosen.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.h"

namespace {

using Registration = void (*)(CLI::App&, cohort::cli::Action&);
constexpr std::array<Registration, 4> kSubsystems = {cohort::cli::add_group_commands, cohort::cli::add_exec_commands,
                                                    cohort::cli::add_cast_commands, cohort::cli::add_keys_commands};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort: fault-tolerant process groups and cluster tools", "cohort"};
  app.require_subcommand(1);
  cohort::cli::Action action;
  for (Registration add : kSubsystems) add(app, action);
  // Words after the first "--" belong to a remote command, never to CLI11.
  std::vector<std::string> words(argv + 1, argv + argc);
  // Called as `cohort-exec` (a link to cohort), it is `cohort exec`: MPICH's
  // hydra takes one executable as its remote shell, with no words of its own.
  if (std::filesystem::path(argv[0]).filename() == "cohort-exec") words.insert(words.begin(), "exec");
  auto separator = std::find(words.begin(), words.end(), "--");
  if (separator != words.end()) {
    cohort::cli::trailing_words().assign(separator + 1, words.end());
    words.erase(separator, words.end());
  }
  std::reverse(words.begin(), words.end());  // CLI11 takes the vector in reverse
  try {
    app.parse(words);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cohort::cli::kExitOk : cohort::cli::kExitUsage;
  }
  return action ? action() : cohort::cli::kExitUsage;
}
