#include "task.h"

#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>

#include "cohort/core/log.h"

namespace cohort::exec {

namespace {

constexpr std::size_t kReadChunk = 64u << 10;
// Past this much stdin not yet taken by the task, stop reading the client.
constexpr std::size_t kStdinHighWater = 1u << 20;
// Output still open but idle this long after the task exited (a background
// child holds it) is cut, so that the client learns the exit status. Time
// spent waiting on a backed-up client does not count: cutting then would
// drop output the task wrote before it exited.
constexpr Duration kDrainAfterExit = std::chrono::seconds(2);

// Watch changes on a live fd fail only on a bug; say so rather than hide it.
void check(Status status, const char* what) {
  if (!status) log::error("task I/O: {}: {}", what, status.error().message());
}

std::uint64_t micros(const timeval& t) {
  return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000 + static_cast<std::uint64_t>(t.tv_usec);
}

}  // namespace

Task::Task(EventLoop& loop, TaskInfo info, SpawnedTask spawned, const ExecRequest& request, std::uint32_t grace_ms,
           EndedCallback on_ended)
    : loop_(loop),
      info_(std::move(info)),
      spawned_(std::move(spawned)),
      tty_(request.tty),
      detach_(request.detach),
      grace_ms_(grace_ms),
      on_ended_(std::move(on_ended)) {
  stdout_.fd = std::move(spawned_.stdout_fd);
  stdout_.stream = Stream::stdout_;
  stderr_.fd = std::move(spawned_.stderr_fd);
  stderr_.stream = Stream::stderr_;
  stderr_.eof = stderr_.fd.get() < 0;  // a tty merges stderr into stdout
  arm_timeout(request);
}

Task::~Task() {
  *alive_ = false;
  for (EventLoop::TimerId id : timers_) loop_.cancel_timer(id);
  for (int fd : {stdout_.fd.get(), stderr_.fd.get(), spawned_.stdin_fd.get(), spawned_.pidfd.get()}) {
    if (fd >= 0) loop_.unwatch(fd);
  }
}

Status Task::start() {
  for (Output* output : {&stdout_, &stderr_}) {
    if (output->eof) continue;
    if (Status s = watch_output(*output); !s) return s;
  }
  return loop_.watch(spawned_.pidfd.get(), kReadable, [this](std::uint32_t) { reap(); });
}

void Task::attach(TaskSink* client) { client_ = client; }

void Task::client_gone() {
  client_ = nullptr;
  pending_.reset();
  pause_output(false);  // output is now discarded, so that the task never blocks on it
  close_stdin();
  if (!detach_ && !exited_) end();
  maybe_finish();
  if (finished_) report_ended();  // its exit was waiting for the client
}

void Task::on_client_message(const ExecMessage& message) {
  if (const auto* chunk = std::get_if<StreamChunk>(&message)) {
    if (chunk->stream != Stream::stdin_) return;
    if (chunk->bytes.empty()) {
      stdin_eof_requested_ = true;
      flush_stdin();
    } else {
      write_stdin(chunk->bytes);
    }
  } else if (const auto* sig = std::get_if<SignalTask>(&message)) {
    signal(sig->signal);
  } else if (const auto* window = std::get_if<WindowSize>(&message)) {
    winsize size{window->rows, window->cols, 0, 0};
    if (tty_) ioctl(stdout_.fd.get(), TIOCSWINSZ, &size);
  }
}

void Task::client_writable() {
  if (!pending_ || client_ == nullptr) return;
  if (!client_->send(*pending_)) return;  // still full: on_writable fires again
  pending_.reset();
  if (finished_) {
    report_ended();
    return;
  }
  pause_output(false);
  maybe_finish();
}

void Task::signal(int signal) {
  if (signal <= 0 || signal >= NSIG || finished_) return;
  kill(-static_cast<pid_t>(info_.pid), signal);  // the task leads its own process group
}

void Task::end() {
  signal(SIGHUP);
  signal(SIGTERM);
  std::weak_ptr<bool> alive = alive_;
  timers_.push_back(loop_.add_timer(std::chrono::milliseconds(grace_ms_), [this, alive] {
    if (!alive.expired()) signal(SIGKILL);
  }));
}

void Task::read_output(Output& output) {
  std::uint8_t buffer[kReadChunk];
  ssize_t n = read(output.fd.get(), buffer, sizeof buffer);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  // A pty reports EIO once the last slave is closed: that is its end of file.
  if (n <= 0) {
    loop_.unwatch(output.fd.get());
    output.fd.reset();
    output.eof = true;
    send(StreamChunk{output.stream, {}});
    maybe_finish();
    return;
  }
  output_active_at_ = loop_.now();
  send(StreamChunk{output.stream, std::vector<std::uint8_t>(buffer, buffer + n)});
}

// Returns whether the frame went out (or was discarded with no client).
bool Task::send(const ExecMessage& message) {
  if (client_ == nullptr) return true;
  if (client_->send(message)) return true;
  pending_ = message;
  pause_output(true);
  return false;
}

Status Task::watch_output(Output& output) {
  return loop_.watch(output.fd.get(), kReadable, [this, &output](std::uint32_t) { read_output(output); });
}

// Paused outputs are unwatched, not watched for nothing: epoll reports a
// hang-up regardless, and reading then would replace the held frame.
void Task::pause_output(bool paused) {
  output_active_at_ = loop_.now();
  if (paused == output_paused_) return;
  output_paused_ = paused;
  for (Output* output : {&stdout_, &stderr_}) {
    if (output->fd.get() < 0) continue;
    if (paused) {
      loop_.unwatch(output->fd.get());
    } else {
      check(watch_output(*output), "resuming output");
    }
  }
}

void Task::write_stdin(ByteView bytes) {
  if (spawned_.stdin_fd.get() < 0) return;  // the task closed its stdin: the bytes have nowhere to go
  stdin_pending_.insert(stdin_pending_.end(), bytes.begin(), bytes.end());
  flush_stdin();
}

void Task::flush_stdin() {
  int fd = spawned_.stdin_fd.get();
  if (fd < 0) return;
  std::size_t written = 0;
  while (written < stdin_pending_.size()) {
    ssize_t n = write(fd, stdin_pending_.data() + written, stdin_pending_.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {  // the task closed its stdin
      close_stdin();
      return;
    }
    written += static_cast<std::size_t>(n);
  }
  stdin_pending_.erase(stdin_pending_.begin(), stdin_pending_.begin() + static_cast<std::ptrdiff_t>(written));
  bool waiting = !stdin_pending_.empty();
  if (waiting != stdin_watched_) {
    if (waiting) {
      check(loop_.watch(fd, kWritable, [this](std::uint32_t) { flush_stdin(); }), "watching stdin");
    } else {
      loop_.unwatch(fd);
    }
    stdin_watched_ = waiting;
  }
  if (client_ != nullptr) client_->set_reading(stdin_pending_.size() < kStdinHighWater);
  if (!waiting && stdin_eof_requested_) close_stdin();
}

void Task::close_stdin() {
  if (spawned_.stdin_fd.get() < 0) return;
  if (stdin_watched_) loop_.unwatch(spawned_.stdin_fd.get());
  stdin_watched_ = false;
  spawned_.stdin_fd.reset();
  stdin_pending_.clear();
  if (client_ != nullptr) client_->set_reading(true);
}

void Task::reap() {
  int status = 0;
  rusage usage{};
  pid_t pid = wait4(static_cast<pid_t>(info_.pid), &status, WNOHANG, &usage);
  if (pid <= 0) return;
  loop_.unwatch(spawned_.pidfd.get());
  spawned_.pidfd.reset();
  exited_ = true;
  info_.exit = WIFSIGNALED(status) ? TaskExit{0, static_cast<std::uint8_t>(WTERMSIG(status))}
                                   : TaskExit{static_cast<std::uint8_t>(WEXITSTATUS(status)), 0};
  info_.ended_unix_ms = unix_time_ms();
  info_.user_cpu_us = micros(usage.ru_utime);
  info_.system_cpu_us = micros(usage.ru_stime);
  info_.max_rss_kib = static_cast<std::uint64_t>(usage.ru_maxrss);
  cut_idle_output_after(kDrainAfterExit);
  maybe_finish();
}

void Task::cut_idle_output_after(Duration after) {
  std::weak_ptr<bool> alive = alive_;
  timers_.push_back(loop_.add_timer(after, [this, alive] {
    if (alive.expired() || finished_) return;
    Duration idle = loop_.now() - output_active_at_;
    if (pending_ || idle < kDrainAfterExit) {
      cut_idle_output_after(pending_ ? kDrainAfterExit : kDrainAfterExit - idle);
      return;
    }
    close_outputs();
    maybe_finish();
  }));
}

void Task::maybe_finish() {
  if (exited_ && stdout_.eof && stderr_.eof && !pending_) finish();
}

void Task::close_outputs() {
  for (Output* output : {&stdout_, &stderr_}) {
    if (output->fd.get() < 0) continue;
    loop_.unwatch(output->fd.get());
    output->fd.reset();
    output->eof = true;
  }
}

// Runs once every output frame has gone to the client, so the exit frame
// always comes last; if the sink refuses it, the task is reported ended once
// the sink has taken it (or the client has gone).
void Task::finish() {
  if (finished_) return;
  finished_ = true;
  close_outputs();
  close_stdin();
  info_.state = TaskState::ended;
  if (send(info_.exit)) report_ended();
}

void Task::report_ended() {
  if (reported_) return;
  reported_ = true;
  on_ended_(*this);
}

void Task::arm_timeout(const ExecRequest& request) {
  if (request.timeout_ms == 0) return;
  std::uint32_t kill_after = request.kill_after_ms;
  std::weak_ptr<bool> alive = alive_;
  timers_.push_back(loop_.add_timer(std::chrono::milliseconds(request.timeout_ms), [this, alive, kill_after] {
    if (alive.expired() || exited_) return;
    signal(SIGTERM);
    timers_.push_back(loop_.add_timer(std::chrono::milliseconds(kill_after), [this, alive] {
      if (!alive.expired()) signal(SIGKILL);
    }));
  }));
}

}  // namespace cohort::exec
