// `cohort run -n N --hosts ... -- CMD`: SPMD launch through cohortd on many
// hosts, relayed through a tree of daemons (--width branches per level):
// rank variables, stdin to all ranks / rank 0 / none, output prefixed or
// folded, signals to every rank, optional stop-all on the first failure, and
// a per-host exit summary.
#pragma once

#include <string>
#include <vector>

#include "client_setup.h"
#include "cohort/exec/launch_plan.h"
#include "cohort/exec/protocol.h"
#include "run_output.h"

namespace cohort::cli {

using exec::StdinTarget;

struct RunOptions {
  ClientOptions client;
  std::size_t ranks = 0;  // 0: hosts x per-host
  std::vector<std::string> hosts;
  std::string hostfile;
  std::size_t per_host = 1;
  std::size_t width = exec::kDefaultLaunchWidth;  // branches per level of the relay tree
  std::vector<std::string> command;
  StdinTarget stdin_target = StdinTarget::rank0;
  OutputMode output = OutputMode::prefixed;
  bool stop_on_failure = false;
  TaskOptions task;
  bool quiet = false;  // no summary unless something failed
};

// Rank r runs on host slot r / per_host (hosts from --hosts, then --hostfile).
struct RankPlacement {
  std::string host;
  std::size_t node = 0;        // index of the host
  std::size_t local_rank = 0;  // index among the host's ranks
};
Result<std::vector<RankPlacement>> place_ranks(const RunOptions& options);

int run_ranks(const RunOptions& options);

}  // namespace cohort::cli
