// Running external programs (ip, nft, the probe, programs under test) without
// a shell: fork/exec, output captured in memory files so a chatty child never
// blocks on a full pipe, and a deadline that always fires.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "cohort/core/clock.h"
#include "cohort/core/error.h"

namespace cohort::testbed {

struct CommandResult {
  int exit_code = -1;     // the exit status; -1 if a signal ended the process
  int term_signal = 0;    // the signal that ended it; 0 if it exited
  bool timed_out = false; // the deadline passed and the process group was killed
  std::string out;
  std::string err;

  bool success() const { return !timed_out && term_signal == 0 && exit_code == 0; }
  std::string describe() const;  // "exit 1", "killed by signal 9", "timed out"
};

struct RunOptions {
  Duration timeout = std::chrono::seconds(30);
  bool capture = true;            // false: the child writes to our stdout/stderr
  bool new_process_group = true;  // so a kill reaches the child's own children too
  std::vector<std::string> env;   // extra "NAME=value" entries
};

// Quotes argv for messages: `ip netns exec 'a b'`.
std::string join_command(const std::vector<std::string>& argv);

// A started child process. Destroying a Child that still runs kills its
// process group and reaps it, so no test leaves a process behind.
class Child {
 public:
  static Result<Child> start(const std::vector<std::string>& argv, const RunOptions& options = {});
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  const std::string& command() const { return command_; }
  // True until the process has ended (reaps it if it has).
  bool running();
  // Sends `signal` to the child's process group (or the child alone).
  Status kill(int signal);
  // Waits up to `timeout` for the child to end; timed_out if it still runs
  // (it is left running: call kill, or let the destructor do it).
  Result<CommandResult> wait(Duration timeout);
  // Called once with the pid when the child has been reaped.
  void on_reaped(std::function<void(pid_t)> callback) { on_reaped_ = std::move(callback); }

 private:
  Child() = default;
  void close_fds();
  bool try_reap(bool block);
  void reset();

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool group_ = true;
  bool reaped_ = false;
  int status_ = 0;
  std::string command_;
  std::function<void(pid_t)> on_reaped_;
};

// Runs argv to completion; on timeout kills its process group and reports
// timed_out in the result (not as an error: the caller decides).
Result<CommandResult> run_command(const std::vector<std::string>& argv, const RunOptions& options = {});

// Runs argv and fails unless it exits 0; the error names the command, how it
// ended and its stderr.
Result<CommandResult> run_checked(const std::vector<std::string>& argv,
                                  Duration timeout = std::chrono::seconds(30));

// Finds an executable by name on PATH and in the sbin directories (where ip
// and nft live even when PATH lacks them).
Result<std::string> find_executable(const std::string& name);

}  // namespace cohort::testbed
