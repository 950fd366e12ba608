// What every connection of cohortd shares: the configuration, the account
// map, the replay guard, the task table, this host's facts, and its TLS
// trust (to check signed run requests) and client identity (to relay them).
#pragma once

#include <openssl/ssl.h>

#include <optional>
#include <string>

#include "cohort/core/event_loop.h"
#include "cohort/exec/accounts.h"
#include "cohort/exec/cgroup.h"
#include "cohort/exec/daemon_config.h"
#include "cohort/exec/replay_guard.h"
#include "task_registry.h"

namespace cohort::exec {

struct DaemonContext {
  EventLoop& loop;
  DaemonConfig config;
  AccountMap accounts;
  ReplayGuard replay;
  TaskRegistry tasks;
  std::optional<TaskCgroups> cgroups;
  Account self;       // the account cohortd runs as
  std::string host;   // this host's name, for messages and COHORT_HOST
  X509_STORE* trust = nullptr;  // the cluster CA and CRL, as the TLS server checks clients
  SSL_CTX* relay_tls = nullptr;  // this host's certificate, as a client of the other daemons
  bool privileged() const { return self.uid == 0; }
};

}  // namespace cohort::exec
