#include "cohort/exec/cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace cohort::exec {

namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool make_dir(const std::string& path) { return mkdir(path.c_str(), 0755) == 0 || errno == EEXIST; }

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  if (!out) return Error(Errc::io, "writing " + path);
  return ok_status();
}

// This process's cgroup v2 path, from the "0::" line of /proc/self/cgroup.
std::string own_v2_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return {};
}

std::optional<std::string> v2_parent() {
  if (access("/sys/fs/cgroup/cgroup.controllers", R_OK) != 0) return std::nullopt;
  std::string mine = "/sys/fs/cgroup" + own_v2_cgroup();
  if (read_first_line(mine + "/cgroup.controllers").find("memory") == std::string::npos) return std::nullopt;
  std::string parent = mine + "/cohort-tasks";
  // v2 needs the controller enabled for children at each level; the kernel
  // refuses while the daemon's own cgroup holds processes, unless it is the root.
  if (!write_file(mine + "/cgroup.subtree_control", "+memory") || !make_dir(parent) ||
      !write_file(parent + "/cgroup.subtree_control", "+memory")) {
    return std::nullopt;
  }
  return parent;
}

std::optional<std::string> v1_parent() {
  std::string parent = "/sys/fs/cgroup/memory/cohort-tasks";
  if (access("/sys/fs/cgroup/memory/memory.limit_in_bytes", R_OK) != 0 || !make_dir(parent)) return std::nullopt;
  return parent;
}

}  // namespace

std::optional<TaskCgroups> TaskCgroups::discover() {
  if (auto parent = v2_parent()) return TaskCgroups(*parent, true);
  if (auto parent = v1_parent()) return TaskCgroups(*parent, false);
  return std::nullopt;
}

std::string TaskCgroups::dir(std::uint64_t task_id) const {
  return parent_ + "/task-" + std::to_string(getpid()) + "-" + std::to_string(task_id);
}

Result<std::string> TaskCgroups::create(std::uint64_t task_id, std::uint64_t memory_max_bytes) const {
  std::string path = dir(task_id);
  if (!make_dir(path)) return Error::from_errno(errno, "creating the cgroup " + path);
  std::string limit_file = path + (v2_ ? "/memory.max" : "/memory.limit_in_bytes");
  if (Status s = write_file(limit_file, std::to_string(memory_max_bytes)); !s) {
    remove(task_id);
    return s.error();
  }
  return path + "/cgroup.procs";
}

void TaskCgroups::remove(std::uint64_t task_id) const { rmdir(dir(task_id).c_str()); }

}  // namespace cohort::exec
