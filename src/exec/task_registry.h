// cohortd's table of tasks: the running ones, a bounded history of ended
// ones for ps and wait, and subscribers told of every state change.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cohort/core/event_loop.h"
#include "task.h"

namespace cohort::exec {

class TaskRegistry {
 public:
  using Watcher = std::function<void(const TaskInfo&)>;
  using WatchId = std::uint64_t;
  static constexpr std::size_t kEndedKept = 1000;

  explicit TaskRegistry(EventLoop& loop) : loop_(loop) {}

  std::uint64_t next_id() { return next_id_++; }
  Task& add(std::unique_ptr<Task> task);
  // Called by a task once it has ended and said so to its client.
  void ended(Task& task);

  Task* running(std::uint64_t id);
  // A running or remembered task.
  const TaskInfo* find(std::uint64_t id) const;
  std::vector<TaskInfo> all() const;
  std::size_t running_for(const std::string& account) const;
  std::size_t running_count() const { return running_.size(); }
  // Ends every running task (SIGTERM, then SIGKILL after the grace period).
  void end_all();

  WatchId watch(Watcher watcher);
  void unwatch(WatchId id);
  // Runs when the last running task has gone (for shutdown).
  void on_empty(std::function<void()> callback) { on_empty_ = std::move(callback); }

 private:
  void notify(const TaskInfo& info);

  EventLoop& loop_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<Task>> running_;
  std::deque<TaskInfo> ended_;
  std::map<WatchId, Watcher> watchers_;
  WatchId next_watch_ = 1;
  std::function<void()> on_empty_;
};

}  // namespace cohort::exec
