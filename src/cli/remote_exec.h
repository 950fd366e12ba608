// `cohort exec HOST [--] CMD...`: one command on one host through cohortd,
// with rsh semantics: streams byte-exact both ways, the remote exit status
// as ours, signals forwarded, optional tty, timeouts that always fire.
#pragma once

#include <string>
#include <vector>

#include "client_setup.h"
#include "ssh_options.h"

namespace cohort::cli {

// Exit statuses of cohort exec besides the remote command's own.
inline constexpr int kExitTimedOut = 124;  // as timeout(1)
inline constexpr int kExitExecFailed = 255;  // cohort could not run it, as ssh

struct ExecOptions {
  ClientOptions client;
  std::string host;
  std::vector<std::string> command;
  TaskOptions task;
  std::vector<std::string> env_pass;  // NAME: take the local value
  bool tty = false;
  bool no_stdin = false;
  bool detach = false;
  SshOptions ssh;
};

int run_exec(const ExecOptions& options);

}  // namespace cohort::cli
