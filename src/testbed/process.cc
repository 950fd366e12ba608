#include "cohort/testbed/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

extern char** environ;

namespace cohort::testbed {
namespace {

// Captured output beyond this is dropped: tests only read short reports.
constexpr std::size_t kMaxCapture = 16 * 1024 * 1024;

std::string read_all(int fd) {
  std::string out;
  if (fd < 0 || ::lseek(fd, 0, SEEK_SET) < 0) return out;
  char buf[8192];
  while (out.size() < kMaxCapture) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

bool is_executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

int open_pidfd(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

}  // namespace

std::string CommandResult::describe() const {
  if (timed_out) return "timed out";
  if (term_signal != 0) return "killed by signal " + std::to_string(term_signal);
  return "exit " + std::to_string(exit_code);
}

std::string join_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !arg.empty() && arg.find_first_of(" \t\n'\"\\$;&|<>(){}*?") == std::string::npos;
    out += plain ? arg : "'" + arg + "'";
  }
  return out;
}

Result<std::string> find_executable(const std::string& name) {
  if (name.empty()) return Error(Errc::invalid_argument, "empty program name");
  if (name.find('/') != std::string::npos) {
    if (is_executable(name)) return name;
    return Error(Errc::not_found, "not an executable file: " + name);
  }
  std::string dirs;
  if (const char* path = std::getenv("PATH")) dirs = path;
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin";
  std::size_t begin = 0;
  while (begin <= dirs.size()) {
    std::size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(begin, end - begin);
    if (!dir.empty() && is_executable(dir + "/" + name)) return dir + "/" + name;
    begin = end + 1;
  }
  return Error(Errc::not_found, "program not found on PATH or in sbin: " + name);
}

Result<Child> Child::start(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) return Error(Errc::invalid_argument, "empty command");
  auto path = find_executable(argv[0]);
  if (!path) return path.error();

  // Everything the child touches is prepared here: between fork and exec only
  // async-signal-safe calls are allowed.
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const auto& extra : options.env) {
    auto eq = extra.find('=');
    std::string key = extra.substr(0, eq == std::string::npos ? extra.size() : eq + 1);
    std::erase_if(env_strings, [&](const std::string& s) { return s.starts_with(key); });
    env_strings.push_back(extra);
  }
  std::vector<char*> c_argv;
  std::vector<char*> c_env;
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  for (auto& e : env_strings) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  Child child;
  child.command_ = join_command(argv);
  child.group_ = options.new_process_group;
  if (options.capture) {
    child.out_fd_ = ::memfd_create("cohort-stdout", MFD_CLOEXEC);
    child.err_fd_ = ::memfd_create("cohort-stderr", MFD_CLOEXEC);
    if (child.out_fd_ < 0 || child.err_fd_ < 0) return Error::from_errno(errno, "memfd_create");
  }
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) return Error::from_errno(errno, "open /dev/null");

  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(null_fd);
    return Error::from_errno(err, "fork for " + child.command_);
  }
  if (pid == 0) {
    if (options.new_process_group) ::setpgid(0, 0);
    ::dup2(null_fd, STDIN_FILENO);
    if (options.capture) {
      ::dup2(child.out_fd_, STDOUT_FILENO);
      ::dup2(child.err_fd_, STDERR_FILENO);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(path->c_str(), c_argv.data(), c_env.data());
    ::_exit(127);
  }
  ::close(null_fd);
  if (options.new_process_group) ::setpgid(pid, pid);  // closes the race with the child's own call
  child.pid_ = pid;
  child.pidfd_ = open_pidfd(pid);
  return child;
}

Child::Child(Child&& other) noexcept { *this = std::move(other); }

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    reset();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::exchange(other.pidfd_, -1);
    out_fd_ = std::exchange(other.out_fd_, -1);
    err_fd_ = std::exchange(other.err_fd_, -1);
    group_ = other.group_;
    reaped_ = std::exchange(other.reaped_, false);
    status_ = other.status_;
    command_ = std::move(other.command_);
    on_reaped_ = std::move(other.on_reaped_);
  }
  return *this;
}

Child::~Child() { reset(); }

void Child::reset() {
  if (pid_ > 0 && !reaped_) {
    (void)kill(SIGKILL);
    try_reap(true);
  }
  close_fds();
  pid_ = -1;
  reaped_ = false;
}

void Child::close_fds() {
  for (int* fd : {&pidfd_, &out_fd_, &err_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

bool Child::try_reap(bool block) {
  if (reaped_) return true;
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    reaped_ = true;
    status_ = r == pid_ ? status : 0;
    if (on_reaped_) on_reaped_(pid_);
    return true;
  }
  return false;
}

bool Child::running() { return pid_ > 0 && !try_reap(false); }

Status Child::kill(int signal) {
  if (pid_ <= 0) return Error(Errc::invalid_argument, "no process");
  if (reaped_) return Error(Errc::closed, "process " + std::to_string(pid_) + " has already ended");
  // A zombie still owns its pid, so signalling before reaping cannot hit a stranger.
  if (group_ && ::kill(-pid_, signal) == 0) return ok_status();
  if (::kill(pid_, signal) == 0) return ok_status();
  return Error::from_errno(errno, "kill " + std::to_string(pid_));
}

Result<CommandResult> Child::wait(Duration timeout) {
  if (pid_ <= 0) return Error(Errc::invalid_argument, "no process");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!try_reap(false)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Error(Errc::timed_out, command_ + ": still running after " +
                                        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
                                        " ms");
    }
    auto slice = std::min<std::chrono::milliseconds::rep>(left.count(), 50);
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(slice));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::chrono::milliseconds::rep>(slice, 5)));
    }
  }
  CommandResult result;
  if (WIFEXITED(status_)) result.exit_code = WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) result.term_signal = WTERMSIG(status_);
  result.out = read_all(out_fd_);
  result.err = read_all(err_fd_);
  return result;
}

Result<CommandResult> run_command(const std::vector<std::string>& argv, const RunOptions& options) {
  auto child = Child::start(argv, options);
  if (!child) return child.error();
  auto result = child->wait(options.timeout);
  if (result) return result;
  if (result.error().code() != Errc::timed_out) return result.error();
  (void)child->kill(SIGKILL);
  auto killed = child->wait(std::chrono::seconds(10));
  if (!killed) return killed.error();
  killed->timed_out = true;
  return killed;
}

Result<CommandResult> run_checked(const std::vector<std::string>& argv, Duration timeout) {
  RunOptions options;
  options.timeout = timeout;
  auto result = run_command(argv, options);
  if (!result) return result.error();
  if (!result->success()) {
    std::string err = result->err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return Error(Errc::io, "`" + join_command(argv) + "` failed (" + result->describe() + ")" +
                               (err.empty() ? std::string() : ": " + err));
  }
  return result;
}

}  // namespace cohort::testbed
