// How the `cohort` command is put together: each subsystem registers its
// subcommands on the root CLI11 app and, when one of them is chosen, sets
// the action main() runs after parsing. Adding `cohort exec`, `cohort run`,
// ... is one more registration function in kSubsystems (main.cc).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace cohort::cli {

// Runs the chosen command; returns the process exit status.
using Action = std::function<int()>;

// The words after the first "--" on the command line (the remote command of
// exec and run); main() keeps them away from option parsing.
std::vector<std::string>& trailing_words();

// Exit statuses shared by the subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and failed
inline constexpr int kExitUsage = 2;    // bad arguments; nothing was done

// `cohort group ...`: src/cli/group_commands.cc.
void add_group_commands(CLI::App& root, Action& action);
// `cohort exec`, `cohort run`, `cohort ps` / `kill` / `wait`: src/cli/exec_commands.cc.
void add_exec_commands(CLI::App& root, Action& action);

// `cohort cast`, `cohort cast-receive`: src/cli/cast_commands.cc.
void add_cast_commands(CLI::App& root, Action& action);

// `cohort keys ...`: src/cli/keys_commands.cc.
void add_keys_commands(CLI::App& root, Action& action);

}  // namespace cohort::cli
