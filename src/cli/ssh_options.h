// cohort exec as the remote shell of launchers written for ssh: MPICH's hydra
// runs `AGENT -x HOST CMD...`, other callers add `-o Name=value`. The ssh
// options accepted here either mean nothing for cohort or map onto one of its
// own; every other is refused, so no caller believes an ssh feature is in
// force when it is not (docs/exec.md lists them).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/core/error.h"

namespace cohort::cli {

struct SshOptions {
  bool no_tty = false;              // -T
  std::vector<std::string> config;  // -o, as given
};

// -x, -a, -q, -T, -o (accepted), -X, -Y (refused with the reason), in their own help group.
void add_ssh_options(CLI::App& command, SshOptions& options);

// What an accepted `-o` option changes: nothing, or the connect timeout.
struct SshConfigEffect {
  std::optional<double> connect_timeout_s;
};

// One `-o` argument, `Name=value` or `Name value`, names case-insensitive as
// in ssh_config. A refusal names the option and says why.
Result<SshConfigEffect> ssh_config_option(std::string_view option);

}  // namespace cohort::cli
