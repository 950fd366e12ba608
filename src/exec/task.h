// One running task of cohortd: relays its stdout/stderr to the client that
// started it (through a sink: the client's stream for `cohort exec`, a rank
// of a relayed `cohort run`) and the client's stdin, signals and window size
// to it, with back-pressure both ways; reaps it through its pidfd; enforces
// its timeout; and ends it when the client goes away unless it was asked to
// detach.
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

// Where a task's frames go.
class TaskSink {
 public:
  virtual ~TaskSink() = default;
  // Takes the message, or refuses it while backed up: the task then holds
  // it, pauses its output and waits for Task::client_writable().
  virtual bool send(const ExecMessage& message) = 0;
  // Stops (false) or resumes (true) taking stdin from the client.
  virtual void set_reading(bool reading) = 0;
};

// The client's own stream (`cohort exec`): frames as they are.
class StreamSink final : public TaskSink {
 public:
  explicit StreamSink(TlsFramedStream& stream) : stream_(stream) {}
  bool send(const ExecMessage& message) override { return stream_.send(encode(message)).ok(); }
  void set_reading(bool reading) override { stream_.set_reading(reading); }

 private:
  TlsFramedStream& stream_;
};

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
  void attach(TaskSink* client);
  // The client's connection closed: end the task unless it detached.
  void client_gone();
  void on_client_message(const ExecMessage& message);
  // The client's sink can take frames again.
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
  Status watch_output(Output& output);
  void read_output(Output& output);
  bool send(const ExecMessage& message);
  void pause_output(bool paused);
  void write_stdin(ByteView bytes);
  void flush_stdin();
  void close_stdin();
  void reap();
  void cut_idle_output_after(Duration after);
  void maybe_finish();
  void close_outputs();
  void finish();
  void report_ended();
  void arm_timeout(const ExecRequest& request);

  EventLoop& loop_;
  TaskInfo info_;
  SpawnedTask spawned_;
  Output stdout_, stderr_;
  bool tty_;
  bool detach_;
  std::uint32_t grace_ms_;
  EndedCallback on_ended_;
  TaskSink* client_ = nullptr;
  std::optional<ExecMessage> pending_;  // refused by the sink; sent first when it drains
  std::vector<std::uint8_t> stdin_pending_;
  bool stdin_eof_requested_ = false;
  bool stdin_watched_ = false;
  bool output_paused_ = false;
  bool exited_ = false;
  bool finished_ = false;
  bool reported_ = false;  // on_ended_ has run: the exit went out, or the client went
  std::vector<EventLoop::TimerId> timers_;
  TimePoint output_active_at_{};  // last output read, or pause change
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cohort::exec
