// One running task of cohortd: relays its stdout/stderr to the client that
// started it and the client's stdin, signals and window size to it, with
// back-pressure both ways; reaps it through its pidfd; enforces its timeout;
// and ends it when the client goes away unless it was asked to detach.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "cohort/core/event_loop.h"
#include "cohort/exec/protocol.h"
#include "cohort/exec/spawn.h"
#include "cohort/transport/tls_stream.h"

namespace cohort::exec {

class Task {
 public:
  using EndedCallback = std::function<void(Task&)>;

  Task(EventLoop& loop, TaskInfo info, SpawnedTask spawned, const ExecRequest& request, std::uint32_t grace_ms,
       EndedCallback on_ended);
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  Status start();
  // Output goes to `client` (nullptr: discarded) until the client goes.
  void attach(TlsFramedStream* client);
  // The client's connection closed: end the task unless it detached.
  void client_gone();
  void on_client_message(const ExecMessage& message);
  // The client's stream can take frames again.
  void client_writable();
  // Sends `signal` to the task's process group.
  void signal(int signal);
  // SIGTERM (and SIGHUP) now, SIGKILL after the grace period.
  void end();

  const TaskInfo& info() const { return info_; }
  bool ended() const { return info_.state == TaskState::ended; }

 private:
  struct Output {
    UniqueFd fd;
    Stream stream;
    bool eof = false;
  };
  void read_output(Output& output);
  bool send(const ExecMessage& message);
  void pause_output(bool paused);
  void write_stdin(ByteView bytes);
  void flush_stdin();
  void close_stdin();
  void reap();
  void maybe_finish();
  void close_outputs();
  void finish();
  void arm_timeout(const ExecRequest& request);

  EventLoop& loop_;
  TaskInfo info_;
  SpawnedTask spawned_;
  Output stdout_, stderr_;
  bool tty_;
  bool detach_;
  std::uint32_t grace_ms_;
  EndedCallback on_ended_;
  TlsFramedStream* client_ = nullptr;
  std::optional<Buffer> pending_frame_;  // refused by the client's stream; sent first when it drains
  std::vector<std::uint8_t> stdin_pending_;
  bool stdin_eof_requested_ = false;
  bool stdin_watched_ = false;
  bool exited_ = false;
  bool finished_ = false;
  std::vector<EventLoop::TimerId> timers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cohort::exec
