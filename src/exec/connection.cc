#include "connection.h"

#include <openssl/ssl.h>

#include "admission.h"
#include "cohort/core/log.h"
#include "cohort/exec/signing.h"

namespace cohort::exec {


Connection::Connection(DaemonContext& context, std::unique_ptr<TlsFramedStream> stream, DoneCallback on_done)
    : context_(context), stream_(std::move(stream)), on_done_(std::move(on_done)), peer_(stream_->peer().to_string()) {
  stream_->on_ready([this] { ready(); });
  stream_->on_frame([this](Buffer bytes) { frame(std::move(bytes)); });
  stream_->on_close([this](Status why) { closed(std::move(why)); });
  stream_->on_writable([this] {
    if (relay_) relay_->up_writable();
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
  if (relay_) relay_->up_gone();
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
  if (relay_) {
    if (const auto* input = std::get_if<RankInput>(&*message)) relay_->on_input(*input);
    return;
  }
  if (Task* task = context_.tasks.running(task_id_)) task->on_client_message(*message);
}

void Connection::closed(Status why) {
  if (!why) log::info("{}: connection ended: {}", peer_, why.error().message());
  if (relay_) relay_->up_gone();
  if (Task* task = context_.tasks.running(task_id_)) task->client_gone();
  task_id_ = 0;
  done();
}

void Connection::first_request(const ExecMessage& message) {
  if (!identity_) return;  // refused at the handshake already
  if (const auto* exec = std::get_if<ExecRequest>(&message)) {
    if (authorised(*identity_, exec->nonce, exec->expires_unix_ms)) start_exec(*exec);
  } else if (const auto* request = std::get_if<ControlRequest>(&message)) {
    if (authorised(*identity_, request->nonce, request->expires_unix_ms)) control(*request);
  } else if (const auto* run = std::get_if<RunRequest>(&message)) {
    start_run(*run);
  } else {
    refuse(RefusalReason::bad_request, "the first message must be a request");
  }
}

bool Connection::authorised(const PeerIdentity& who, const Nonce& nonce, std::uint64_t expires_unix_ms) {
  auto outcome = authorise(context_, who, nonce, expires_unix_ms);
  if (auto* refusal = std::get_if<Refusal>(&outcome)) {
    refuse(refusal->reason, refusal->detail);
    return false;
  }
  account_ = std::move(std::get<Account>(outcome));
  return true;
}

void Connection::start_exec(const ExecRequest& request) {
  sink_ = std::make_unique<StreamSink>(*stream_);
  auto started = start_task(context_, TaskOrder{request, *account_, identity_->name, {}, peer_}, sink_.get());
  if (auto* refusal = std::get_if<Refusal>(&started)) {
    refuse(refusal->reason, refusal->detail);
    return;
  }
  Task& task = *std::get<Task*>(started);
  std::uint64_t id = task.info().task_id;
  task_id_ = id;
  send(TaskStarted{id, task.info().pid});
  watch_ = context_.tasks.watch([this, id](const TaskInfo& changed) {
    if (changed.task_id != id || changed.state != TaskState::ended) return;
    task_id_ = 0;
    stream_->finish();  // the task has sent its exit; close once it is out
  });
}

// The identity that runs is the one that signed the request; the peer that
// sent it is that user, or a daemon of this cluster relaying it.
void Connection::start_run(const RunRequest& request) {
  auto signer = verify_signed(context_.trust, request.user_cert_der, signed_body(request.spec), request.signature);
  if (!signer) {
    refuse(RefusalReason::authentication, signer.error().message());
    return;
  }
  const PeerIdentity& sender = *identity_;
  bool relayed = sender.kind == IdentityKind::host && sender.cluster == context_.config.cluster;
  bool own = sender.kind == IdentityKind::user && sender.name == signer->name && sender.cluster == signer->cluster;
  if (!relayed && !own) {
    refuse(RefusalReason::authentication, "'" + sender.name + "' may not pass on a run signed by '" + signer->name + "'");
    return;
  }
  const ExecRequest& base = request.spec.base;
  if (!authorised(*signer, base.nonce, base.expires_unix_ms)) return;
  log::info("{}: run of {} ranks for {} as {}, node {} relaying to {}", peer_, request.spec.ranks, signer->name,
            account_->name, request.head, request.subtree.size());
  relay_ = std::make_unique<RunRelay>(context_, *stream_, request, RunRelay::Runner{*account_, signer->name, peer_});
  relay_->start();
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
