// A memory limit for one task through a cgroup, where this host lets cohortd
// make one: cgroup v2 (memory.max in a child of the daemon's own cgroup) or
// the v1 memory controller (memory.limit_in_bytes). Where neither can be
// written the limit is not enforced, and the daemon says so once at start.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cohort/core/error.h"

namespace cohort::exec {

class TaskCgroups {
 public:
  // Finds a place for task cgroups; nullopt when this host offers none.
  static std::optional<TaskCgroups> discover();

  // Creates the task's cgroup with the limit; returns its cgroup.procs file.
  Result<std::string> create(std::uint64_t task_id, std::uint64_t memory_max_bytes) const;
  // Removes the task's cgroup once its processes are gone (best effort).
  void remove(std::uint64_t task_id) const;
  const std::string& parent() const { return parent_; }

 private:
  TaskCgroups(std::string parent, bool v2) : parent_(std::move(parent)), v2_(v2) {}
  std::string dir(std::uint64_t task_id) const;

  std::string parent_;
  bool v2_;
};

}  // namespace cohort::exec
