// `cohort ps`, `cohort kill`, `cohort wait`: cohortd's task management from
// the client side, one ControlSession per host.
#pragma once

#include <string>
#include <vector>

#include "client_setup.h"

namespace cohort::cli {

struct TaskCommandOptions {
  ClientOptions client;
  std::vector<std::string> hosts;  // ps: any number; kill / wait: one
  std::string host;                // kill / wait, as parsed
  std::uint64_t task_id = 0;
  std::string signal = "TERM";
  bool watch = false;
  bool json = false;
};

int run_ps(const TaskCommandOptions& options);
int run_kill(const TaskCommandOptions& options);
int run_wait(const TaskCommandOptions& options);

}  // namespace cohort::cli
