#include "emergency.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

extern char** environ;

namespace cohort::testbed::detail {
namespace {

constexpr std::size_t kMaxPlans = 64;
std::array<std::atomic<EmergencyPlan*>, kMaxPlans> g_plans{};

// SIGABRT too: a failed assert() in a test should not leave the run behind.
constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGHUP, SIGABRT};
struct sigaction g_previous[kSignals.size()];
std::once_flag g_installed;

void on_signal(int sig) {
  int saved_errno = errno;
  for (auto& slot : g_plans) {
    if (EmergencyPlan* plan = slot.exchange(nullptr)) plan->execute();
  }
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    if (kSignals[i] == sig) ::sigaction(sig, &g_previous[i], nullptr);
  }
  // Delivered again when this handler returns, now with the previous disposition.
  ::raise(sig);
  errno = saved_errno;
}

void install_handlers() {
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (int s : kSignals) sigaddset(&action.sa_mask, s);
    ::sigaction(kSignals[i], &action, &g_previous[i]);
    // A process that ignored the signal keeps ignoring it.
    if (g_previous[i].sa_handler == SIG_IGN) ::sigaction(kSignals[i], &g_previous[i], nullptr);
  }
}

}  // namespace

EmergencyPlan::EmergencyPlan(std::vector<std::vector<std::string>> commands, std::string state_path)
    : commands_(std::move(commands)), state_path_(std::move(state_path)), creator_(::getpid()) {
  for (auto& command : commands_) {
    std::vector<char*> argv;
    for (auto& arg : command) argv.push_back(arg.data());
    argv.push_back(nullptr);
    argvs_.push_back(std::move(argv));
  }
}

void EmergencyPlan::track(pid_t pid) {
  for (auto& slot : pids_) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) return;
  }
}

void EmergencyPlan::untrack(pid_t pid) {
  for (auto& slot : pids_) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

void EmergencyPlan::kill_tracked() noexcept {
  if (::getpid() != creator_) return;
  for (auto& slot : pids_) {
    pid_t pid = slot.exchange(0);
    if (pid > 0) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
    }
  }
}

void EmergencyPlan::execute() noexcept {
  if (::getpid() != creator_) return;
  kill_tracked();
  for (auto& argv : argvs_) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int null_fd = ::open("/dev/null", O_RDWR);
      if (null_fd >= 0) {
        ::dup2(null_fd, STDIN_FILENO);
        ::dup2(null_fd, STDOUT_FILENO);
        ::dup2(null_fd, STDERR_FILENO);
      }
      ::execve(argv[0], argv.data(), environ);
      ::_exit(127);
    }
    if (pid > 0) {
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  ::unlink(state_path_.c_str());
}

bool arm(EmergencyPlan* plan) {
  std::call_once(g_installed, install_handlers);
  for (auto& slot : g_plans) {
    EmergencyPlan* empty = nullptr;
    if (slot.compare_exchange_strong(empty, plan)) return true;
  }
  return false;
}

bool disarm(EmergencyPlan* plan) {
  for (auto& slot : g_plans) {
    EmergencyPlan* expected = plan;
    if (slot.compare_exchange_strong(expected, nullptr)) return true;
  }
  return false;
}

}  // namespace cohort::testbed::detail
