// Starts a task for cohortd: a new session, the account switch when the
// daemon is root (setgroups, setgid, setuid, checked), the working directory,
// a clean login-like environment, and the task's stdio on pipes or on a
// pseudo-terminal. Failures before exec come back as values, not as a task
// that exits 127 for unclear reasons.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/exec/accounts.h"
#include "cohort/exec/protocol.h"
#include "cohort/transport/unique_fd.h"

namespace cohort::exec {

struct SpawnSpec {
  ExecRequest request;
  Account account;
  bool switch_account = false;         // the daemon is root: become `account` first
  std::vector<std::string> extra_env;  // NAME=value set by the daemon (COHORT_TASK_ID, ...)
  std::string cgroup_procs;            // a cgroup.procs file to join before exec; empty: none
};

struct SpawnedTask {
  pid_t pid = -1;
  UniqueFd pidfd;        // readable once the task has ended
  UniqueFd stdin_fd;     // write end; with a tty, the terminal's master
  UniqueFd stdout_fd;    // read end; with a tty, the terminal's master (again)
  UniqueFd stderr_fd;    // read end; none with a tty
};

// What the task runs: argv itself, or with expand_env the words joined and
// given to the account's shell (`shell -c "argv..."`), as rsh does.
std::vector<std::string> command_line(const ExecRequest& request, const Account& account);

Result<SpawnedTask> spawn_task(const SpawnSpec& spec);

}  // namespace cohort::exec
