// What stands between an authenticated request and a running task, shared by
// `cohort exec` connections and the relayed ranks of `cohort run`: the
// authorisation of an identity (cluster, kind, replay guard, account map,
// privilege) and the start of a task (per-account limit, memory cgroup,
// spawn, registration). Nothing runs that has not passed both.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "cohort/exec/identity.h"
#include "daemon_context.h"

namespace cohort::exec {

// The account `who` runs as here, or why it may not run anything.
std::variant<Account, Refusal> authorise(DaemonContext& context, const PeerIdentity& who, const Nonce& nonce,
                                         std::uint64_t expires_unix_ms);

struct TaskOrder {
  const ExecRequest& request;
  const Account& account;
  const std::string& identity;
  std::vector<std::string> extra_env;  // besides COHORT_TASK_ID and COHORT_HOST
  std::string peer;                    // for the log
};

// Starts, registers and watches the task, its output going to `sink`; or
// says why it could not start.
std::variant<Task*, Refusal> start_task(DaemonContext& context, const TaskOrder& order, TaskSink* sink);

}  // namespace cohort::exec
