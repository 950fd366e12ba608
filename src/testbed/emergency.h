// Last-chance cleanup for when SIGINT, SIGTERM, SIGHUP or SIGABRT ends a process that
// owns testbed runs: the handler kills the run's processes, deletes its links
// and namespaces and its state file, then re-raises the signal. Everything the
// handler needs is prepared in advance, because a signal handler may only use
// async-signal-safe calls (kill, fork, execve, waitpid, unlink).
#pragma once

#include <sys/types.h>

#include <array>
#include <atomic>
#include <string>
#include <vector>

namespace cohort::testbed::detail {

class EmergencyPlan {
 public:
  // `commands` are full argvs with an absolute program path.
  EmergencyPlan(std::vector<std::vector<std::string>> commands, std::string state_path);
  EmergencyPlan(const EmergencyPlan&) = delete;
  EmergencyPlan& operator=(const EmergencyPlan&) = delete;

  // Processes the handler must kill (those started in the run's hosts).
  void track(pid_t pid);
  void untrack(pid_t pid);
  // Kills the tracked processes (and their process groups). Async-signal-safe.
  void kill_tracked() noexcept;
  // kill_tracked, then the removal commands and the state file; nothing in a
  // process other than the plan's creator. Async-signal-safe.
  void execute() noexcept;

 private:
  std::vector<std::vector<std::string>> commands_;
  std::vector<std::vector<char*>> argvs_;
  std::string state_path_;
  // A forked child inherits the registry but must not tear down its parent's runs.
  pid_t creator_;
  std::array<std::atomic<pid_t>, 512> pids_{};
};

// Hands `plan` to the signal handlers (installed on first use). The caller
// keeps ownership and must disarm before freeing it.
bool arm(EmergencyPlan* plan);
// Takes `plan` back; false if a handler already took it (it is running or
// has run, and the process is about to end).
bool disarm(EmergencyPlan* plan);

}  // namespace cohort::testbed::detail
