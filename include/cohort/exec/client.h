// The client side of cohortd's protocol, on an EventLoop: connects with a
// deadline, authenticates with TLS, sends one request and then relays that
// task's streams (ExecSession) or reads the answer to a control request
// (ControlSession). Every way it can fail ends in one Failure with a reason a
// user can act on: unreachable, authentication refused, not authorised,
// spawn failed, timed out, connection lost.
#pragma once

#include <openssl/ssl.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cohort/core/event_loop.h"
#include "cohort/exec/protocol.h"
#include "cohort/transport/address.h"
#include "cohort/transport/tls_stream.h"

namespace cohort::exec {

enum class FailureKind { unreachable, authentication, not_authorised, spawn_failed, timed_out, lost, refused };

struct Failure {
  FailureKind kind = FailureKind::lost;
  std::string detail;
};

std::string_view to_string(FailureKind kind);

// A host as the user named it and the address it resolved to.
struct Target {
  std::string host;  // for messages and for checking the daemon's certificate
  Address address;
};

// Resolves HOST or HOST:PORT (default port if none).
Result<Target> resolve_target(const std::string& text, std::uint16_t default_port);
// HOST:PORT as resolve_target reads it: `text` if it names a port, else with `port` added.
std::string with_port(const std::string& text, std::uint16_t port);

// A fresh random nonce and an expiry `lifetime_ms` from now.
Nonce random_nonce();
std::uint64_t expiry_from_now(std::uint64_t lifetime_ms);

// Connects and authenticates; `on_ready` or `on_failure` follows exactly once
// (failure also later, when the connection breaks).
class Connector {
 public:
  using Ready = std::function<void(TlsFramedStream&)>;
  using FailureCallback = std::function<void(Failure)>;
  static Result<std::unique_ptr<Connector>> start(EventLoop& loop, SSL_CTX* tls, const Target& target,
                                                  Duration connect_timeout, Ready on_ready,
                                                  FailureCallback on_failure);
  ~Connector();
  TlsFramedStream& stream() { return *stream_; }
  // Cancels the deadline, e.g. once the request was answered.
  void connected();
  const Target& target() const { return target_; }
  // The daemon has said something: failures are no longer about connecting.
  bool answered() const { return answered_; }

 private:
  Connector(EventLoop& loop, Target target) : loop_(loop), target_(std::move(target)) {}
  void closed(Status why);

  EventLoop& loop_;
  Target target_;
  std::unique_ptr<TlsFramedStream> stream_;
  EventLoop::TimerId deadline_ = 0;
  bool answered_ = false;
  Ready on_ready_;
  FailureCallback on_failure_;
};

// One task on one host.
class ExecSession {
 public:
  struct Callbacks {
    std::function<void(const TaskStarted&)> on_started;
    // Output bytes. The caller writes them before returning, so a slow local
    // reader holds the loop and the connection pushes back on the host.
    std::function<void(Stream, ByteView)> on_output;
    std::function<void(TaskExit)> on_exit;
    std::function<void(Failure)> on_failure;
    // Stdin may be sent again after send_stdin returned false.
    std::function<void()> on_stdin_writable;
  };
  static Result<std::unique_ptr<ExecSession>> start(EventLoop& loop, SSL_CTX* tls, const Target& target,
                                                    ExecRequest request, Duration connect_timeout,
                                                    Callbacks callbacks);
  // Queues stdin bytes (an empty view ends stdin); returns false when the
  // bytes were taken but the caller should wait for on_stdin_writable.
  bool send_stdin(ByteView bytes);
  void signal(int signal);
  void window(std::uint16_t rows, std::uint16_t cols);

 private:
  ExecSession(Callbacks callbacks) : callbacks_(std::move(callbacks)) {}
  void frame(Buffer bytes);
  void send(const ExecMessage& message);
  void flush_held();
  void fail(Failure failure);

  Callbacks callbacks_;
  std::unique_ptr<Connector> connector_;
  ExecRequest request_;
  std::deque<Buffer> held_;  // frames the stream refused; they go first when it drains
  bool request_sent_ = false;
  bool finished_ = false;
};

// One control request (ps, kill, wait, watch) to one host.
class ControlSession {
 public:
  struct Callbacks {
    std::function<void(const TaskInfo&)> on_task;
    std::function<void()> on_end_of_list;
    std::function<void()> on_done;  // the daemon closed the connection after answering
    std::function<void(Failure)> on_failure;
  };
  static Result<std::unique_ptr<ControlSession>> start(EventLoop& loop, SSL_CTX* tls, const Target& target,
                                                       ControlRequest request, Duration connect_timeout,
                                                       Callbacks callbacks);

 private:
  ControlSession(Callbacks callbacks) : callbacks_(std::move(callbacks)) {}
  void frame(Buffer bytes);

  Callbacks callbacks_;
  std::unique_ptr<Connector> connector_;
  bool done_ = false;
};

// Turns a daemon's refusal into the failure a user reads.
Failure failure_from(const Refusal& refusal);

}  // namespace cohort::exec
