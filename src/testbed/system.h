// The testbed's few contacts with the system: running ip and nft with errors
// that name the command, listing names in /run/netns and /sys/class/net, the
// state files, and telling whether a run's owner still lives.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/testbed/process.h"

namespace cohort::testbed::detail {

// Runs `ip args...`; "Operation not permitted" becomes permission_denied.
Status ip(const std::vector<std::string>& args);
// Like ip(), returning stdout.
Result<std::string> ip_output(const std::vector<std::string>& args);
// Applies an nft script (commands separated by ';') inside namespace `ns`.
Status nft_in(const std::string& ns, const std::string& script);

Result<std::string> ip_path();

std::vector<std::string> list_dir(const std::string& path);
bool path_exists(const std::string& path);

// Field 22 of /proc/<pid>/stat: tells a live owner from a reused pid.
std::optional<unsigned long long> process_start_time(pid_t pid);

struct StateRecord {
  pid_t owner = 0;
  std::optional<unsigned long long> owner_start;
  int hosts = 0;
};
// address_in_use if the file exists (the run name is taken).
Status write_state_exclusive(const std::string& path, const StateRecord& record);
std::optional<StateRecord> read_state(const std::string& path);

bool owner_alive(pid_t owner, std::optional<unsigned long long> start);

}  // namespace cohort::testbed::detail
