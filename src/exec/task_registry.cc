#include "task_registry.h"

namespace cohort::exec {

Task& TaskRegistry::add(std::unique_ptr<Task> task) {
  Task& added = *task;
  running_[task->info().task_id] = std::move(task);
  notify(added.info());
  return added;
}

void TaskRegistry::ended(Task& task) {
  std::uint64_t id = task.info().task_id;
  auto it = running_.find(id);
  if (it == running_.end()) return;
  ended_.push_back(task.info());
  if (ended_.size() > kEndedKept) ended_.pop_front();
  // The task is on the call stack; it goes once this turn of the loop is over.
  std::shared_ptr<Task> doomed(std::move(it->second));
  running_.erase(it);
  loop_.defer([doomed] {});
  notify(ended_.back());
  if (running_.empty() && on_empty_) on_empty_();
}

Task* TaskRegistry::running(std::uint64_t id) {
  auto it = running_.find(id);
  return it == running_.end() ? nullptr : it->second.get();
}

const TaskInfo* TaskRegistry::find(std::uint64_t id) const {
  if (auto it = running_.find(id); it != running_.end()) return &it->second->info();
  for (const TaskInfo& info : ended_) {
    if (info.task_id == id) return &info;
  }
  return nullptr;
}

std::vector<TaskInfo> TaskRegistry::all() const {
  std::vector<TaskInfo> out(ended_.begin(), ended_.end());
  for (const auto& [id, task] : running_) out.push_back(task->info());
  return out;
}

std::size_t TaskRegistry::running_for(const std::string& account) const {
  std::size_t n = 0;
  for (const auto& [id, task] : running_) if (task->info().account == account) ++n;
  return n;
}

void TaskRegistry::end_all() {
  for (auto& [id, task] : running_) task->end();
}

TaskRegistry::WatchId TaskRegistry::watch(Watcher watcher) {
  WatchId id = next_watch_++;
  watchers_[id] = std::move(watcher);
  return id;
}

void TaskRegistry::unwatch(WatchId id) { watchers_.erase(id); }

void TaskRegistry::notify(const TaskInfo& info) {
  // A watcher may unwatch itself or others while being told.
  std::vector<WatchId> ids;
  for (const auto& [id, w] : watchers_) ids.push_back(id);
  TaskInfo copy = info;
  for (WatchId id : ids) {
    if (auto it = watchers_.find(id); it != watchers_.end()) it->second(copy);
  }
}

}  // namespace cohort::exec
