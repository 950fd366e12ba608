// A single-threaded epoll event loop: file-descriptor readiness, one-shot
// timers, deferred calls, and a thread-safe post() for waking it from outside.
// Everything except post() and stop() must be called on the loop's thread.
// Callbacks may add or remove watches and timers, including their own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "cohort/core/clock.h"
#include "cohort/core/error.h"

struct epoll_event;

namespace cohort {

enum IoEvents : std::uint32_t {
  kReadable = 1u << 0,
  kWritable = 1u << 1,
  kHangup = 1u << 2,  // peer closed or error; reported with whatever else is ready
};

class EventLoop {
 public:
  using IoCallback = std::function<void(std::uint32_t events)>;
  using Callback = std::function<void()>;
  using TimerId = std::uint64_t;

  static Result<std::unique_ptr<EventLoop>> create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches fd for `events` (kReadable | kWritable). The loop does not own fd.
  Status watch(int fd, std::uint32_t events, IoCallback callback);
  Status modify(int fd, std::uint32_t events);
  void unwatch(int fd);

  TimerId add_timer(Duration after, Callback callback);
  // Cancelling a fired or unknown timer is a no-op.
  void cancel_timer(TimerId id);
  // Runs `callback` on the next turn of the loop, before it waits again.
  void defer(Callback callback);
  // Thread-safe: runs `callback` on the loop's thread soon.
  void post(Callback callback);

  // Runs until stop(); returns at once if stop() was already called.
  Status run();
  // Runs until stop() or until `limit` has passed, whichever is first.
  Status run_for(Duration limit);
  // Thread-safe; the loop finishes the callback it is in and returns.
  void stop();

  const Clock& clock() const { return clock_; }
  TimePoint now() const { return clock_.now(); }

 private:
  EventLoop(int epoll_fd, int wake_fd);
  Status run_until(TimePoint deadline);
  Status turn(TimePoint deadline);
  std::optional<Duration> wait_time(TimePoint deadline) const;
  int wait_events(std::span<::epoll_event> events, std::optional<Duration> wait);
  void run_due_timers();
  void run_deferred();
  void drain_posted();

  struct Watch {
    IoCallback callback;
    std::uint64_t generation;
  };

  RealClock clock_;
  int epoll_fd_;
  int wake_fd_;
  bool stopping_ = false;
  bool fine_waits_ = true;  // epoll_pwait2 available
  std::uint64_t next_generation_ = 1;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  TimerId next_timer_ = 1;
  std::multimap<TimePoint, TimerId> timer_order_;
  std::unordered_map<TimerId, std::pair<TimePoint, Callback>> timers_;
  std::vector<Callback> deferred_;
  std::mutex posted_mutex_;
  std::vector<Callback> posted_;
  bool stop_requested_ = false;  // guarded by posted_mutex_
};

}  // namespace cohort
