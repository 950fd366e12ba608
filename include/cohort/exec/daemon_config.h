// cohortd's configuration: a TOML file (see docs/exec.md and
// packaging/cohortd.toml for every key), with the command line able to
// override the listen address and logging. Paths are checked when the daemon
// starts, so a mistake is reported before it serves anyone.
#pragma once

#include <cstdint>
#include <string>

#include "cohort/core/error.h"
#include "cohort/transport/tls.h"

namespace cohort::exec {

inline constexpr std::uint16_t kDefaultPort = 7001;

enum class ShutdownPolicy { end_tasks, detach_tasks };

struct DaemonConfig {
  std::string cluster;
  std::string listen = "0.0.0.0:7001";
  tls::Files tls;
  std::string account_map;  // the mapping file (accounts.h)
  std::uint32_t tasks_per_user = 256;
  std::uint64_t memory_max_bytes = 0;    // per task, through a cgroup; 0: no limit
  std::uint32_t request_timeout_ms = 10'000;  // for a connection to authenticate and ask
  ShutdownPolicy on_shutdown = ShutdownPolicy::end_tasks;
  std::uint32_t grace_ms = 2'000;  // between SIGTERM and SIGKILL when ending tasks
  std::string log_file;            // empty: stderr (the journal under systemd)
  std::string log_level = "info";
};

Result<DaemonConfig> load_daemon_config(const std::string& path);
Result<DaemonConfig> parse_daemon_config(const std::string& text, const std::string& source);

}  // namespace cohort::exec
