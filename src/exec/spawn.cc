#include "cohort/exec/spawn.h"

#include <fcntl.h>
#include <grp.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace cohort::exec {

namespace {

// Where the child failed, reported through the error pipe with errno.
enum class Stage : int { session = 1, terminal, stdio, cgroup, groups, gid, uid, regain, cwd, exec };

const char* stage_text(Stage stage) {
  switch (stage) {
    case Stage::session: return "starting a session";
    case Stage::terminal: return "attaching the terminal";
    case Stage::stdio: return "setting up stdin/stdout/stderr";
    case Stage::cgroup: return "joining the task's cgroup";
    case Stage::groups: return "setting the account's groups";
    case Stage::gid: return "setting the account's group id";
    case Stage::uid: return "setting the account's user id";
    case Stage::regain: return "checking that root cannot be regained";
    case Stage::cwd: return "changing to the working directory";
    case Stage::exec: return "running the program";
  }
  return "starting the task";
}

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return Error::from_errno(errno, "creating a pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Status set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return Error::from_errno(errno, "fcntl(O_NONBLOCK)");
  return ok_status();
}

bool is_login_shell(const std::string& shell) {
  return !shell.empty() && shell.find("nologin") == std::string::npos && shell != "/bin/false" &&
         shell != "/usr/bin/false";
}

std::vector<std::string> environment(const SpawnSpec& spec) {
  const Account& a = spec.account;
  std::string path = a.uid == 0 ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                                : "/usr/local/bin:/usr/bin:/bin";
  std::vector<std::string> env = {"HOME=" + a.home, "USER=" + a.name, "LOGNAME=" + a.name,
                                  "SHELL=" + (is_login_shell(a.shell) ? a.shell : std::string("/bin/sh")),
                                  "PATH=" + path};
  // Later entries win, so the request and the daemon can override the defaults.
  for (const auto& e : spec.request.env) env.push_back(e);
  for (const auto& e : spec.extra_env) env.push_back(e);
  std::vector<std::string> unique;
  for (auto it = env.rbegin(); it != env.rend(); ++it) {
    std::string name = it->substr(0, it->find('='));
    bool seen = false;
    for (const auto& u : unique) seen = seen || u.compare(0, name.size() + 1, name + "=") == 0;
    if (!seen) unique.push_back(*it);
  }
  return unique;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Everything the child needs, prepared before fork so the child only makes
// system calls.
struct ChildPlan {
  std::vector<std::string> argv_strings, env_strings;
  std::vector<char*> argv, envp;
  std::string cwd;
  const SpawnSpec* spec;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // child ends
  int tty_fd = -1;
  int error_fd = -1;
};

[[noreturn]] void child_fail(int error_fd, Stage stage) {
  int report[2] = {static_cast<int>(stage), errno};
  ssize_t ignored = write(error_fd, report, sizeof report);
  (void)ignored;
  _exit(127);
}

void reset_signals() {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
}

void join_cgroup(const std::string& procs, int error_fd) {
  if (procs.empty()) return;
  int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, "0", 1) != 1) child_fail(error_fd, Stage::cgroup);
  close(fd);
}

void become(const Account& a, int error_fd) {
  if (setgroups(a.groups.size(), a.groups.data()) < 0) child_fail(error_fd, Stage::groups);
  if (setgid(a.gid) < 0) child_fail(error_fd, Stage::gid);
  if (setuid(a.uid) < 0) child_fail(error_fd, Stage::uid);
  if (a.uid != 0 && setuid(0) == 0) {
    errno = EPERM;
    child_fail(error_fd, Stage::regain);
  }
}

[[noreturn]] void run_child(ChildPlan& plan) {
  const SpawnSpec& spec = *plan.spec;
  reset_signals();
  if (setsid() < 0) child_fail(plan.error_fd, Stage::session);
  if (plan.tty_fd >= 0 && ioctl(plan.tty_fd, TIOCSCTTY, 0) < 0) child_fail(plan.error_fd, Stage::terminal);
  if (dup2(plan.stdin_fd, 0) < 0 || dup2(plan.stdout_fd, 1) < 0 || dup2(plan.stderr_fd, 2) < 0) {
    child_fail(plan.error_fd, Stage::stdio);
  }
  join_cgroup(spec.cgroup_procs, plan.error_fd);
  if (spec.switch_account) become(spec.account, plan.error_fd);
  // As login does: a missing home is not fatal, a missing requested directory is.
  if (chdir(plan.cwd.c_str()) < 0 && (!spec.request.cwd.empty() || chdir("/") < 0)) {
    child_fail(plan.error_fd, Stage::cwd);
  }
  environ = plan.envp.data();
  execvp(plan.argv[0], plan.argv.data());
  child_fail(plan.error_fd, Stage::exec);
}

// The child's report, if it failed before exec; EOF means exec succeeded.
Status read_child_report(int error_fd, pid_t pid, const ChildPlan& plan) {
  int report[2] = {0, 0};
  ssize_t n;
  do {
    n = read(error_fd, report, sizeof report);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return ok_status();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  auto stage = static_cast<Stage>(report[0]);
  std::string target = stage == Stage::exec ? " '" + plan.argv_strings[0] + "'"
                       : stage == Stage::cwd ? " " + plan.cwd
                                             : "";
  return Error(Errc::io, std::string(stage_text(stage)) + target + ": " + std::strerror(report[1]));
}

struct ChildEnds {
  UniqueFd in, out, err, tty;
};

Status open_stdio(const SpawnSpec& spec, SpawnedTask& task, ChildEnds& child) {
  if (spec.request.tty) {
    int master = -1, slave = -1;
    winsize size{spec.request.rows, spec.request.cols, 0, 0};
    if (openpty(&master, &slave, nullptr, nullptr, size.ws_row != 0 ? &size : nullptr) < 0) {
      return Error::from_errno(errno, "opening a pseudo-terminal");
    }
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fcntl(slave, F_SETFD, FD_CLOEXEC);
    task.stdout_fd = UniqueFd(master);
    task.stdin_fd = UniqueFd(dup(master));
    fcntl(task.stdin_fd.get(), F_SETFD, FD_CLOEXEC);
    child.tty = UniqueFd(slave);
    return ok_status();
  }
  auto in = make_pipe();
  auto out = make_pipe();
  auto err = make_pipe();
  if (!in || !out || !err) return Error::from_errno(errno, "creating the task's pipes");
  task.stdin_fd = std::move(in->write);
  task.stdout_fd = std::move(out->read);
  task.stderr_fd = std::move(err->read);
  child.in = std::move(in->read);
  child.out = std::move(out->write);
  child.err = std::move(err->write);
  return ok_status();
}

Status parent_ends_nonblocking(const SpawnedTask& task) {
  for (const UniqueFd* fd : {&task.stdin_fd, &task.stdout_fd, &task.stderr_fd}) {
    if (fd->get() < 0) continue;
    if (Status s = set_nonblocking(fd->get()); !s) return s;
  }
  return ok_status();
}

}  // namespace

std::vector<std::string> command_line(const ExecRequest& request, const Account& account) {
  if (!request.expand_env) return request.argv;
  std::string joined;
  for (const auto& word : request.argv) joined += (joined.empty() ? "" : " ") + word;
  std::string shell = is_login_shell(account.shell) ? account.shell : "/bin/sh";
  return {shell, "-c", joined};
}

Result<SpawnedTask> spawn_task(const SpawnSpec& spec) {
  ChildPlan plan;
  plan.spec = &spec;
  plan.argv_strings = command_line(spec.request, spec.account);
  plan.env_strings = environment(spec);
  plan.argv = pointers(plan.argv_strings);
  plan.envp = pointers(plan.env_strings);
  plan.cwd = spec.request.cwd.empty() ? spec.account.home : spec.request.cwd;

  SpawnedTask task;
  ChildEnds child;
  if (Status s = open_stdio(spec, task, child); !s) return s.error();
  bool tty = child.tty.get() >= 0;
  plan.stdin_fd = tty ? child.tty.get() : child.in.get();
  plan.stdout_fd = tty ? child.tty.get() : child.out.get();
  plan.stderr_fd = tty ? child.tty.get() : child.err.get();
  plan.tty_fd = child.tty.get();
  auto errors = make_pipe();
  if (!errors) return errors.error();
  plan.error_fd = errors->write.get();

  pid_t pid = fork();
  if (pid < 0) return Error::from_errno(errno, "fork");
  if (pid == 0) run_child(plan);
  errors->write.reset();
  child = ChildEnds{};
  if (Status s = read_child_report(errors->read.get(), pid, plan); !s) return s.error();
  task.pid = pid;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    Error error = Error::from_errno(errno, "pidfd_open");
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return error;
  }
  task.pidfd = UniqueFd(pidfd);
  if (Status s = parent_ends_nonblocking(task); !s) return s.error();
  return task;
}

}  // namespace cohort::exec
