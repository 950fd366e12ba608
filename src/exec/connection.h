// One client connection to cohortd: once TLS has authenticated the peer,
// its first frame is a request; the connection authorises it (replay guard,
// identity kind and cluster, account mapping, privilege, limits) and then
// either relays an exec task or answers a control request (ps, kill, wait,
// watch). Nothing runs before all of that has passed.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "cohort/exec/identity.h"
#include "cohort/transport/tls_stream.h"
#include "daemon_context.h"

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
  std::optional<Refusal> authorise(const Nonce& nonce, std::uint64_t expires_unix_ms);
  void start_exec(const ExecRequest& request);
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
  std::optional<TaskRegistry::WatchId> watch_;
  EventLoop::TimerId request_timer_ = 0;
  bool done_ = false;
};

}  // namespace cohort::exec
