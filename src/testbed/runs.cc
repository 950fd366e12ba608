// Finding and removing runs by name: what `cohort-netns list/destroy/cleanup`
// and Testbed::destroy share.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "cohort/testbed/testbed.h"
#include "system.h"

namespace cohort::testbed {
namespace {

struct RunParts {
  std::vector<std::string> netns;
  std::vector<std::string> veths;
  std::vector<std::string> bridges;
  bool state = false;
};

std::map<std::string, RunParts> scan() {
  std::map<std::string, RunParts> runs;
  for (const auto& name : detail::list_dir(std::string(names::kNetnsDir))) {
    if (auto run = names::run_of_netns(name)) runs[*run].netns.push_back(name);
  }
  for (const auto& name : detail::list_dir("/sys/class/net")) {
    if (auto run = names::run_of_link(name)) {
      auto& parts = runs[*run];
      (name.starts_with("cb") ? parts.bridges : parts.veths).push_back(name);
    }
  }
  for (const auto& name : detail::list_dir(std::string(names::kStateDir))) {
    if (auto run = names::run_of_state_file(name)) runs[*run].state = true;
  }
  return runs;
}

// Kills every process inside `ns`: a namespace with live processes outlives
// `ip netns del`, and so would its link.
void kill_processes_in(const std::string& ns) {
  auto out = detail::ip_output({"netns", "pids", ns});
  if (!out) return;
  std::istringstream in(*out);
  long pid = 0;
  while (in >> pid) {
    if (pid > 1 && pid != ::getpid()) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
}

// Gone already is fine: a parallel cleanup or the kernel may have been first.
void keep_first_real_error(Status& first, Status status) {
  if (!status && status.error().code() != Errc::not_found && first) first = std::move(status);
}

}  // namespace

Result<std::vector<RunInfo>> list_runs() {
  std::vector<RunInfo> runs;
  for (const auto& [name, parts] : scan()) {
    RunInfo info;
    info.name = name;
    info.owner = names::owner_of(name).value_or(0);
    info.hosts = static_cast<int>(parts.netns.size());
    info.has_state = parts.state;
    std::optional<unsigned long long> start;
    if (auto record = detail::read_state(names::state_file(name))) start = record->owner_start;
    info.owner_alive = detail::owner_alive(info.owner, start);
    runs.push_back(std::move(info));
  }
  return runs;
}

Status destroy_run(std::string_view run) {
  if (!names::is_run_name(run)) return Error(Errc::invalid_argument, "not a testbed run name: " + std::string(run));
  auto runs = scan();
  auto it = runs.find(std::string(run));
  if (it == runs.end()) return ok_status();
  const RunParts& parts = it->second;
  Status first;
  for (const auto& ns : parts.netns) kill_processes_in(ns);
  for (const auto& veth : parts.veths) keep_first_real_error(first, detail::ip({"link", "del", veth}));
  for (const auto& ns : parts.netns) keep_first_real_error(first, detail::ip({"netns", "del", ns}));
  for (const auto& br : parts.bridges) keep_first_real_error(first, detail::ip({"link", "del", br}));
  if (parts.state) ::unlink(names::state_file(run).c_str());

  // Links of a namespace go away asynchronously; wait (bounded) so callers
  // can check that nothing is left.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline && scan().contains(std::string(run))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (first && scan().contains(std::string(run))) {
    return Error(Errc::io, "testbed run " + std::string(run) + " still has parts after removal");
  }
  return first;
}

Result<std::vector<std::string>> cleanup_runs(CleanupScope scope) {
  auto runs = list_runs();
  if (!runs) return runs.error();
  std::vector<std::string> removed;
  Status first;
  for (const auto& info : *runs) {
    if (scope == CleanupScope::stale && info.owner_alive) continue;
    Status status = destroy_run(info.name);
    if (status) {
      removed.push_back(info.name);
    } else if (first) {
      first = status;
    }
  }
  if (!first) return first.error();
  return removed;
}

}  // namespace cohort::testbed
