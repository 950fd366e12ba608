#include "connection.h"

#include <chrono>

#include "cohort/core/log.h"

namespace cohort::exec {

namespace {

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::string describe(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& word : argv) text += (text.empty() ? "" : " ") + word;
  return text.size() > 200 ? text.substr(0, 200) + "..." : text;
}

}  // namespace

Connection::Connection(DaemonContext& context, std::unique_ptr<TlsFramedStream> stream, DoneCallback on_done)
    : context_(context), stream_(std::move(stream)), on_done_(std::move(on_done)), peer_(stream_->peer().to_string()) {
  stream_->on_ready([this] { ready(); });
  stream_->on_frame([this](Buffer bytes) { frame(std::move(bytes)); });
  stream_->on_close([this](Status why) { closed(std::move(why)); });
  stream_->on_writable([this] {
    if (Task* task = context_.tasks.running(task_id_)) task->client_writable();
  });
  request_timer_ = context_.loop.add_timer(std::chrono::milliseconds(context_.config.request_timeout_ms), [this] {
    request_timer_ = 0;
    if (requested_) return;
    log::info("{}: no request within {} ms; closing", peer_, context_.config.request_timeout_ms);
    close();
  });
}

// Leaves its task alone: a connection is destroyed after close() or closed()
// told the task, or at daemon shutdown, where the policy decides.
Connection::~Connection() {
  if (request_timer_ != 0) context_.loop.cancel_timer(request_timer_);
  if (watch_) context_.tasks.unwatch(*watch_);
  if (Task* task = context_.tasks.running(task_id_)) task->attach(nullptr);
}

void Connection::close() {
  if (Task* task = context_.tasks.running(task_id_)) task->client_gone();
  task_id_ = 0;
  stream_->close();
  done();
}

void Connection::ready() {
  auto identity = identity_of(stream_->peer_certificate());
  if (!identity) {
    refuse(RefusalReason::authentication, identity.error().message());
    return;
  }
  identity_ = std::move(*identity);
}

void Connection::frame(Buffer bytes) {
  auto message = decode(bytes);
  if (!message) {
    log::warn("{}: undecodable frame: {}", peer_, message.error().message());
    refuse(RefusalReason::bad_request, "undecodable message: " + message.error().message());
    return;
  }
  if (!requested_) {
    requested_ = true;
    first_request(*message);
    return;
  }
  if (Task* task = context_.tasks.running(task_id_)) task->on_client_message(*message);
}

void Connection::closed(Status why) {
  if (!why) log::info("{}: connection ended: {}", peer_, why.error().message());
  if (Task* task = context_.tasks.running(task_id_)) task->client_gone();
  task_id_ = 0;
  done();
}

void Connection::first_request(const ExecMessage& message) {
  if (!identity_) return;  // refused at the handshake already
  if (const auto* exec = std::get_if<ExecRequest>(&message)) {
    if (auto refusal = authorise(exec->nonce, exec->expires_unix_ms)) {
      refuse(refusal->reason, refusal->detail);
      return;
    }
    start_exec(*exec);
  } else if (const auto* request = std::get_if<ControlRequest>(&message)) {
    if (auto refusal = authorise(request->nonce, request->expires_unix_ms)) {
      refuse(refusal->reason, refusal->detail);
      return;
    }
    control(*request);
  } else {
    refuse(RefusalReason::bad_request, "the first message must be a request");
  }
}

std::optional<Refusal> Connection::authorise(const Nonce& nonce, std::uint64_t expires_unix_ms) {
  const PeerIdentity& who = *identity_;
  if (who.cluster != context_.config.cluster) {
    return Refusal{RefusalReason::authentication, "the certificate is for cluster '" + who.cluster + "', " +
                                                      context_.host + " serves '" + context_.config.cluster + "'"};
  }
  if (who.kind != IdentityKind::user) {
    return Refusal{RefusalReason::not_authorised, "'" + who.name + "' is a host; tasks run for users only"};
  }
  if (auto refusal = context_.replay.admit(nonce, expires_unix_ms, unix_ms())) return refusal;
  auto name = context_.accounts.account_for(who.name);
  if (!name) {
    return Refusal{RefusalReason::not_authorised, "identity '" + who.name + "' is not mapped to an account on " +
                                                      context_.host + " (add it to " + context_.config.account_map +
                                                      ")"};
  }
  auto account = lookup_account(*name);
  if (!account) return Refusal{RefusalReason::not_authorised, account.error().message()};
  if (!context_.privileged() && account->uid != context_.self.uid) {
    return Refusal{RefusalReason::not_authorised,
                   "cohortd on " + context_.host + " runs as '" + context_.self.name + "' and can run tasks only as '" +
                       context_.self.name + "'; '" + who.name + "' maps to '" + account->name + "'"};
  }
  account_ = std::move(*account);
  return std::nullopt;
}

void Connection::start_exec(const ExecRequest& request) {
  const DaemonConfig& config = context_.config;
  if (context_.tasks.running_for(account_->name) >= config.tasks_per_user) {
    refuse(RefusalReason::limit_reached, "account '" + account_->name + "' already runs " +
                                             std::to_string(config.tasks_per_user) + " tasks on " + context_.host);
    return;
  }
  std::uint64_t id = context_.tasks.next_id();
  SpawnSpec spec{request, *account_, context_.privileged(),
                 {"COHORT_TASK_ID=" + std::to_string(id), "COHORT_HOST=" + context_.host}, {}};
  if (config.memory_max_bytes > 0 && context_.cgroups) {
    auto procs = context_.cgroups->create(id, config.memory_max_bytes);
    if (!procs) {
      refuse(RefusalReason::spawn_failed, "cannot set the memory limit: " + procs.error().message());
      return;
    }
    spec.cgroup_procs = *procs;
  }
  auto spawned = spawn_task(spec);
  if (!spawned) {
    if (context_.cgroups) context_.cgroups->remove(id);
    log::info("{}: {} as {}: spawn failed: {}", peer_, identity_->name, account_->name, spawned.error().message());
    refuse(RefusalReason::spawn_failed, spawned.error().message() + " (on " + context_.host + ")");
    return;
  }
  TaskInfo info{id, static_cast<std::uint32_t>(spawned->pid), TaskState::running, {}, identity_->name,
                account_->name, describe(request.argv), unix_ms()};
  auto task = std::make_unique<Task>(context_.loop, std::move(info), std::move(*spawned), request, config.grace_ms,
                                     // The task may outlive this connection (detach): no `this` here.
                                     [&context = context_](Task& ended) {
                                       if (context.cgroups) context.cgroups->remove(ended.info().task_id);
                                       context.tasks.ended(ended);
                                     });
  Task& added = context_.tasks.add(std::move(task));
  task_id_ = id;
  added.attach(stream_.get());
  send(TaskStarted{id, added.info().pid});
  if (Status s = added.start(); !s) {
    log::error("{}: watching task {}: {}", peer_, id, s.error().message());
    added.end();
  }
  watch_ = context_.tasks.watch([this, id](const TaskInfo& changed) {
    if (changed.task_id != id || changed.state != TaskState::ended) return;
    task_id_ = 0;
    stream_->finish();  // the task has sent its exit; close once it is out
  });
  log::info("{}: task {} for {} as {}: {}", peer_, id, identity_->name, account_->name, added.info().command);
}

void Connection::control(const ControlRequest& request) {
  switch (request.op) {
    case ControlOp::list:
      send_visible_tasks();
      stream_->finish();
      return;
    case ControlOp::kill: {
      Task* task = context_.tasks.running(request.task_id);
      if (task == nullptr || !visible(task->info())) {
        refuse(RefusalReason::bad_request, "no running task " + std::to_string(request.task_id) + " of yours on " +
                                               context_.host);
        return;
      }
      task->signal(request.signal);
      send(task->info());
      stream_->finish();
      return;
    }
    case ControlOp::wait:
      wait_for(request.task_id);
      return;
    case ControlOp::watch:
      send_visible_tasks();
      watch_ = context_.tasks.watch([this](const TaskInfo& changed) {
        if (visible(changed)) send(changed);
      });
      return;
  }
}

void Connection::send_visible_tasks() {
  for (const TaskInfo& info : context_.tasks.all()) {
    if (visible(info)) send(info);
  }
  send(EndOfList{});
}

void Connection::wait_for(std::uint64_t task_id) {
  const TaskInfo* info = context_.tasks.find(task_id);
  if (info == nullptr || !visible(*info)) {
    refuse(RefusalReason::bad_request, "no task " + std::to_string(task_id) + " of yours on " + context_.host);
    return;
  }
  if (info->state == TaskState::ended) {
    send(*info);
    stream_->finish();
    return;
  }
  watch_ = context_.tasks.watch([this, task_id](const TaskInfo& changed) {
    if (changed.task_id != task_id || changed.state != TaskState::ended) return;
    send(changed);
    stream_->finish();
  });
}

// Callers see their account's tasks; a caller mapped to root sees all.
bool Connection::visible(const TaskInfo& info) const { return account_->uid == 0 || info.account == account_->name; }

void Connection::refuse(RefusalReason reason, std::string detail) {
  log::info("{}: refused ({}): {}", peer_, to_string(reason), detail);
  send(Refusal{reason, std::move(detail)});
  stream_->finish();
}

void Connection::send(const ExecMessage& message) {
  if (Status s = stream_->send(encode(message)); !s) {
    log::warn("{}: dropping the connection: {}", peer_, s.error().message());
    close();
  }
}

void Connection::done() {
  if (done_) return;
  done_ = true;
  if (watch_) context_.tasks.unwatch(*watch_);
  watch_.reset();
  on_done_(this);
}

}  // namespace cohort::exec
