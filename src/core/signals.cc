#include "cohort/core/signals.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace cohort {

Result<std::unique_ptr<SignalWatcher>> SignalWatcher::create(EventLoop& loop, const std::vector<int>& signals,
                                                             Callback callback) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) < 0) return Error::from_errno(errno, "blocking signals");
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    return Error::from_errno(err, "signalfd");
  }
  std::unique_ptr<SignalWatcher> watcher(new SignalWatcher(loop, fd, set, std::move(callback)));
  SignalWatcher* self = watcher.get();
  if (Status s = loop.watch(fd, kReadable, [self](std::uint32_t) { self->drain(); }); !s) return s.error();
  return watcher;
}

SignalWatcher::SignalWatcher(EventLoop& loop, int fd, sigset_t set, Callback callback)
    : loop_(loop), fd_(fd), set_(set), callback_(std::move(callback)) {}

SignalWatcher::~SignalWatcher() {
  loop_.unwatch(fd_);
  close(fd_);
  sigprocmask(SIG_UNBLOCK, &set_, nullptr);
}

void SignalWatcher::drain() {
  signalfd_siginfo info{};
  while (read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    callback_(static_cast<int>(info.ssi_signo));
  }
}

}  // namespace cohort
