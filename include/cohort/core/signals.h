// Signals as events on the EventLoop (signalfd): a process that shuts down on
// SIGINT/SIGTERM does it on the loop's thread, between two callbacks, never
// inside a signal handler. The watched signals are blocked for the process
// while the watcher lives, and unblocked again when it goes.
#pragma once

#include <csignal>
#include <functional>
#include <memory>
#include <vector>

#include "cohort/core/error.h"
#include "cohort/core/event_loop.h"

namespace cohort {

class SignalWatcher {
 public:
  using Callback = std::function<void(int signal)>;

  // Call before starting threads, so that no thread gets the signals instead.
  static Result<std::unique_ptr<SignalWatcher>> create(EventLoop& loop, const std::vector<int>& signals,
                                                       Callback callback);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  SignalWatcher(EventLoop& loop, int fd, sigset_t set, Callback callback);
  void drain();

  EventLoop& loop_;
  int fd_;
  sigset_t set_;
  Callback callback_;
};

}  // namespace cohort
