#include "remote_exec.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "byte_source.h"
#include "cohort/core/event_loop.h"
#include "cohort/core/signals.h"
#include "cohort/exec/client.h"
#include "local_output.h"
#include "terminal.h"

namespace cohort::cli {

namespace {

exec::ExecRequest build_request(const ExecOptions& options, bool tty) {
  bool login_shell = options.command.empty();
  exec::ExecRequest request =
      task_request(login_shell ? std::vector<std::string>{"exec \"$SHELL\" -l"} : options.command, options.task);
  request.expand_env = request.expand_env || login_shell;
  for (const auto& name : options.env_pass) {
    if (const char* value = std::getenv(name.c_str())) request.env.push_back(name + "=" + value);
  }
  request.tty = tty;
  if (tty) {
    if (const char* term = std::getenv("TERM")) request.env.push_back(std::string("TERM=") + term);
    if (auto size = terminal_size(STDIN_FILENO)) std::tie(request.rows, request.cols) = *size;
  }
  request.detach = options.detach;
  return request;
}

class ExecRun {
 public:
  ExecRun(EventLoop& loop, const ExecOptions& options) : loop_(loop), options_(options) {}

  int run(ClientSetup& setup, const exec::Target& target) {
    bool tty = options_.tty || (options_.command.empty() && !options_.ssh.no_tty && isatty(STDIN_FILENO));
    exec::ExecSession::Callbacks callbacks;
    callbacks.on_started = [this](const exec::TaskStarted& started) { this->started(started); };
    callbacks.on_output = [](exec::Stream stream, ByteView bytes) {
      (void)write_fully(local_fd(stream), bytes);  // a closed local reader drops output, as rsh does
    };
    callbacks.on_exit = [this](exec::TaskExit exit) { finish(timed_out_ ? kExitTimedOut : exit.shell_status()); };
    callbacks.on_failure = [this](exec::Failure failure) {
      fail(std::string(exec::to_string(failure.kind)) + ": " + failure.detail);
    };
    callbacks.on_stdin_writable = [this] {
      if (stdin_) stdin_->resume();
    };
    auto session = exec::ExecSession::start(loop_, setup.tls.get(), target, build_request(options_, tty),
                                            setup.connect_timeout, std::move(callbacks));
    if (!session) return report(session.error().message());
    session_ = std::move(*session);
    if (Status s = watch_signals(tty); !s) return report(s.error().message());
    std::optional<RawTerminal> raw;
    if (tty) raw.emplace(STDIN_FILENO);
    arm_timeout();
    if (Status s = loop_.run(); !s) return report(s.error().message());
    return status_;
  }

 private:
  void started(const exec::TaskStarted& started) {
    if (options_.detach) {
      std::cout << options_.host << " task " << started.task_id << " (pid " << started.pid << ")" << std::endl;
      finish(0);
      return;
    }
    if (options_.no_stdin) {
      session_->send_stdin({});
      return;
    }
    auto source = ByteSource::create(
        loop_, STDIN_FILENO, [this](ByteView chunk) { return session_->send_stdin(chunk); },
        [this] { session_->send_stdin({}); });
    if (!source) {
      session_->send_stdin({});  // no usable stdin: the task reads end of file
      return;
    }
    stdin_ = std::move(*source);
  }

  Status watch_signals(bool tty) {
    std::vector<int> forwarded = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    if (tty) forwarded.push_back(SIGWINCH);
    auto watcher = SignalWatcher::create(loop_, forwarded, [this](int sig) {
      if (sig == SIGWINCH) {
        if (auto size = terminal_size(STDIN_FILENO)) session_->window(size->first, size->second);
        return;
      }
      session_->signal(sig);
    });
    if (!watcher) return watcher.error();
    signals_ = std::move(*watcher);
    return ok_status();
  }

  // The daemon enforces the timeout; this side also gives up on a host that
  // stopped answering, so the command always ends.
  void arm_timeout() {
    if (options_.task.timeout_s <= 0) return;
    auto after = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(options_.task.timeout_s));
    loop_.add_timer(after, [this] {
      timed_out_ = true;
      session_->signal(SIGTERM);
    });
    auto give_up = after + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(options_.task.kill_after_s)) +
                   std::chrono::seconds(3);
    loop_.add_timer(give_up, [this] {
      fail("timed out: no exit status within " + std::to_string(options_.task.timeout_s) + " s + " +
               std::to_string(options_.task.kill_after_s) + " s kill-after",
           kExitTimedOut);
    });
  }

  void fail(const std::string& message, int status = kExitExecFailed) {
    print_error("exec", options_.host + ": " + message);
    finish(status);
  }

  int report(const std::string& message) {
    print_error("exec", options_.host + ": " + message);
    return kExitExecFailed;
  }

  void finish(int status) {
    status_ = status;
    loop_.stop();
  }

  EventLoop& loop_;
  const ExecOptions& options_;
  std::unique_ptr<exec::ExecSession> session_;
  std::unique_ptr<ByteSource> stdin_;
  std::unique_ptr<SignalWatcher> signals_;
  bool timed_out_ = false;
  int status_ = kExitExecFailed;
};

}  // namespace

int run_exec(const ExecOptions& options) {
  auto setup = prepare_client(options.client);
  if (!setup) {
    print_error("exec", setup.error().message());
    return kExitExecFailed;
  }
  auto target = exec::resolve_target(options.host, setup->config.port);
  if (!target) {
    print_error("exec", options.host + ": unreachable: " + target.error().message());
    return kExitExecFailed;
  }
  auto loop = EventLoop::create();
  if (!loop) {
    print_error("exec", loop.error().message());
    return kExitExecFailed;
  }
  signal(SIGPIPE, SIG_IGN);
  ExecRun run(**loop, options);
  return run.run(*setup, *target);
}

}  // namespace cohort::cli
