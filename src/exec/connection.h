// One client connection to cohortd: once TLS has authenticated the peer,
// its first frame is a request; the connection authorises it (replay guard,
// identity kind and cluster, account mapping, privilege, limits) and then
// relays an exec task, answers a control request (ps, kill, wait, watch), or
// runs its part of a relayed `cohort run` (RunRelay: signed by a user, sent
// by that user or by a daemon of the cluster). Nothing runs before all of
// that has passed.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "cohort/exec/identity.h"
#include "cohort/transport/tls_stream.h"
#include "daemon_context.h"
#include "run_relay.h"

namespace cohort::exec {

class Connection {
 public:
  using DoneCallback = std::function<void(Connection*)>;
  Connection(DaemonContext& context, std::unique_ptr<TlsFramedStream> stream, DoneCallback on_done);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Closes a connection that has not asked for anything yet (daemon shutdown).
  bool idle() const { return !requested_; }
  void close();

 private:
  void ready();
  void frame(Buffer bytes);
  void closed(Status why);
  void first_request(const ExecMessage& message);
  bool authorised(const PeerIdentity& who, const Nonce& nonce, std::uint64_t expires_unix_ms);
  void start_exec(const ExecRequest& request);
  void start_run(const RunRequest& request);
  void control(const ControlRequest& request);
  void send_visible_tasks();
  void wait_for(std::uint64_t task_id);
  bool visible(const TaskInfo& info) const;
  void refuse(RefusalReason reason, std::string detail);
  void send(const ExecMessage& message);
  void done();

  DaemonContext& context_;
  std::unique_ptr<TlsFramedStream> stream_;
  DoneCallback on_done_;
  std::string peer_;
  std::optional<PeerIdentity> identity_;
  std::optional<Account> account_;
  bool requested_ = false;
  std::uint64_t task_id_ = 0;  // the exec task this connection relays
  std::unique_ptr<StreamSink> sink_;
  std::unique_ptr<RunRelay> relay_;  // the run this connection relays
  std::optional<TaskRegistry::WatchId> watch_;
  EventLoop::TimerId request_timer_ = 0;
  bool done_ = false;
};

}  // namespace cohort::exec
