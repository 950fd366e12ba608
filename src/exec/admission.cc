#include "admission.h"

#include "cohort/core/clock.h"
#include "cohort/core/log.h"

namespace cohort::exec {

namespace {

std::string describe(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& word : argv) text += (text.empty() ? "" : " ") + word;
  return text.size() > 200 ? text.substr(0, 200) + "..." : text;
}

Result<Task*> spawn_registered(DaemonContext& context, const TaskOrder& order, TaskSink* sink) {
  std::uint64_t id = context.tasks.next_id();
  SpawnSpec spec{order.request,
                 order.account,
                 context.privileged(),
                 {"COHORT_TASK_ID=" + std::to_string(id), "COHORT_HOST=" + context.host},
                 {}};
  spec.extra_env.insert(spec.extra_env.end(), order.extra_env.begin(), order.extra_env.end());
  const DaemonConfig& config = context.config;
  if (config.memory_max_bytes > 0 && context.cgroups) {
    auto procs = context.cgroups->create(id, config.memory_max_bytes);
    if (!procs) return Error(procs.error().code(), "cannot set the memory limit: " + procs.error().message());
    spec.cgroup_procs = *procs;
  }
  auto spawned = spawn_task(spec);
  if (!spawned) {
    if (context.cgroups) context.cgroups->remove(id);
    return Error(spawned.error().code(), spawned.error().message() + " (on " + context.host + ")");
  }
  TaskInfo info{id,
                static_cast<std::uint32_t>(spawned->pid),
                TaskState::running,
                {},
                order.identity,
                order.account.name,
                describe(order.request.argv),
                unix_time_ms()};
  auto task = std::make_unique<Task>(context.loop, std::move(info), std::move(*spawned), order.request,
                                     config.grace_ms,
                                     // The task may outlive its connection (detach): no connection here.
                                     [&context](Task& ended) {
                                       if (context.cgroups) context.cgroups->remove(ended.info().task_id);
                                       context.tasks.ended(ended);
                                     });
  Task& added = context.tasks.add(std::move(task));
  added.attach(sink);
  return &added;
}

}  // namespace

std::variant<Account, Refusal> authorise(DaemonContext& context, const PeerIdentity& who, const Nonce& nonce,
                                         std::uint64_t expires_unix_ms) {
  if (who.cluster != context.config.cluster) {
    return Refusal{RefusalReason::authentication, "the certificate is for cluster '" + who.cluster + "', " +
                                                      context.host + " serves '" + context.config.cluster +
                                                      "'"};
  }
  if (who.kind != IdentityKind::user) {
    return Refusal{RefusalReason::not_authorised, "'" + who.name + "' is a host; tasks run for users only"};
  }
  if (auto refusal = context.replay.admit(nonce, expires_unix_ms, unix_time_ms())) return *refusal;
  auto name = context.accounts.account_for(who.name);
  if (!name) {
    return Refusal{RefusalReason::not_authorised, "identity '" + who.name +
                                                      "' is not mapped to an account on " + context.host +
                                                      " (add it to " + context.config.account_map + ")"};
  }
  auto account = lookup_account(*name);
  if (!account) return Refusal{RefusalReason::not_authorised, account.error().message()};
  if (!context.privileged() && account->uid != context.self.uid) {
    return Refusal{RefusalReason::not_authorised, "cohortd on " + context.host + " runs as '" +
                                                      context.self.name + "' and can run tasks only as '" +
                                                      context.self.name + "'; '" + who.name + "' maps to '" +
                                                      account->name + "'"};
  }
  return std::move(*account);
}

std::variant<Task*, Refusal> start_task(DaemonContext& context, const TaskOrder& order, TaskSink* sink) {
  if (context.tasks.running_for(order.account.name) >= context.config.tasks_per_user) {
    return Refusal{RefusalReason::limit_reached, "account '" + order.account.name + "' already runs " +
                                                     std::to_string(context.config.tasks_per_user) +
                                                     " tasks on " + context.host};
  }
  auto task = spawn_registered(context, order, sink);
  if (!task) {
    log::info("{}: {} as {}: spawn failed: {}", order.peer, order.identity, order.account.name,
              task.error().message());
    return Refusal{RefusalReason::spawn_failed, task.error().message()};
  }
  Task* added = *task;
  if (Status s = added->start(); !s) {
    log::error("{}: watching task {}: {}", order.peer, added->info().task_id, s.error().message());
    added->end();
  }
  log::info("{}: task {} for {} as {}: {}", order.peer, added->info().task_id, order.identity,
            order.account.name, added->info().command);
  return added;
}

}  // namespace cohort::exec
