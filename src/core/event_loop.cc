#include "cohort/core/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>

namespace cohort {

namespace {

std::uint32_t to_epoll(std::uint32_t events) {
  std::uint32_t out = EPOLLRDHUP;
  if (events & kReadable) out |= EPOLLIN;
  if (events & kWritable) out |= EPOLLOUT;
  return out;
}

std::uint32_t from_epoll(std::uint32_t events) {
  std::uint32_t out = 0;
  if (events & EPOLLIN) out |= kReadable;
  if (events & EPOLLOUT) out |= kWritable;
  if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) out |= kHangup;
  return out;
}

std::uint64_t epoll_key(int fd, std::uint64_t generation) {
  return (generation << 32) | static_cast<std::uint32_t>(fd);
}

}  // namespace

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return Error::from_errno(errno, "epoll_create1");
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    int err = errno;
    close(epoll_fd);
    return Error::from_errno(err, "eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = epoll_key(wake_fd, 0);
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) < 0) {
    int err = errno;
    close(epoll_fd);
    close(wake_fd);
    return Error::from_errno(err, "epoll_ctl(eventfd)");
  }
  return std::unique_ptr<EventLoop>(new EventLoop(epoll_fd, wake_fd));
}

EventLoop::EventLoop(int epoll_fd, int wake_fd) : epoll_fd_(epoll_fd), wake_fd_(wake_fd) {}

EventLoop::~EventLoop() {
  close(wake_fd_);
  close(epoll_fd_);
}

Status EventLoop::watch(int fd, std::uint32_t events, IoCallback callback) {
  if (fd < 0 || watches_.count(fd) != 0) {
    return Error(Errc::invalid_argument, "fd " + std::to_string(fd) + " is invalid or already watched");
  }
  std::uint64_t generation = next_generation_++ & 0xffffffffu;
  epoll_event ev{};
  ev.events = to_epoll(events);
  ev.data.u64 = epoll_key(fd, generation);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) return Error::from_errno(errno, "epoll_ctl(ADD)");
  watches_[fd] = std::make_shared<Watch>(Watch{std::move(callback), generation});
  return ok_status();
}

Status EventLoop::modify(int fd, std::uint32_t events) {
  auto it = watches_.find(fd);
  if (it == watches_.end()) return Error(Errc::not_found, "fd " + std::to_string(fd) + " is not watched");
  epoll_event ev{};
  ev.events = to_epoll(events);
  ev.data.u64 = epoll_key(fd, it->second->generation);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) < 0) return Error::from_errno(errno, "epoll_ctl(MOD)");
  return ok_status();
}

void EventLoop::unwatch(int fd) {
  if (watches_.erase(fd) != 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::add_timer(Duration after, Callback callback) {
  TimerId id = next_timer_++;
  TimePoint due = now() + std::max(after, Duration::zero());
  timers_.emplace(id, std::make_pair(due, std::move(callback)));
  timer_order_.emplace(due, id);
  return id;
}

void EventLoop::cancel_timer(TimerId id) { timers_.erase(id); }

void EventLoop::defer(Callback callback) { deferred_.push_back(std::move(callback)); }

void EventLoop::post(Callback callback) {
  {
    std::lock_guard lock(posted_mutex_);
    posted_.push_back(std::move(callback));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof one);
}

void EventLoop::stop() {
  {
    std::lock_guard lock(posted_mutex_);
    stop_requested_ = true;
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof one);
}

Status EventLoop::run() { return run_until(TimePoint::max()); }

Status EventLoop::run_for(Duration limit) { return run_until(now() + limit); }

Status EventLoop::run_until(TimePoint deadline) {
  stopping_ = false;
  while (true) {
    drain_posted();
    if (stopping_) break;
    if (Status s = turn(deadline); !s) return s;
    if (stopping_ || now() >= deadline) break;
  }
  stopping_ = false;
  return ok_status();
}

// How long epoll may sleep: nullopt forever. Timers are kept to the
// microsecond (epoll_pwait2), so a pacer asking for 100 us gets about that
// rather than a whole millisecond.
std::optional<Duration> EventLoop::wait_time(TimePoint deadline) const {
  if (!deferred_.empty()) return Duration::zero();
  TimePoint wake = deadline;
  if (!timer_order_.empty()) wake = std::min(wake, timer_order_.begin()->first);
  if (wake == TimePoint::max()) return std::nullopt;
  Duration left = wake - now();
  if (left <= Duration::zero()) return Duration::zero();
  return std::min<Duration>(left, std::chrono::seconds(60));
}

int EventLoop::wait_events(std::span<::epoll_event> events, std::optional<Duration> wait) {
  const int capacity = static_cast<int>(events.size());
  if (!wait) return epoll_wait(epoll_fd_, events.data(), capacity, -1);
  if (fine_waits_) {
    const auto us = std::chrono::ceil<std::chrono::microseconds>(*wait).count();
    const timespec timeout{static_cast<time_t>(us / 1'000'000), static_cast<long>(us % 1'000'000) * 1000};
    int n = epoll_pwait2(epoll_fd_, events.data(), capacity, &timeout, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    fine_waits_ = false;  // a kernel before 5.11: millisecond waits
  }
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*wait).count();
  return epoll_wait(epoll_fd_, events.data(), capacity, static_cast<int>(ms));
}

Status EventLoop::turn(TimePoint deadline) {
  run_deferred();
  if (stopping_) return ok_status();
  std::array<epoll_event, 64> events{};
  int n = wait_events(events, wait_time(deadline));
  if (n < 0) {
    if (errno == EINTR) return ok_status();
    return Error::from_errno(errno, "epoll_wait");
  }
  for (int i = 0; i < n && !stopping_; ++i) {
    const epoll_event& ev = events[static_cast<std::size_t>(i)];
    int fd = static_cast<int>(ev.data.u64 & 0xffffffffu);
    if (fd == wake_fd_) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto r = read(wake_fd_, &count, sizeof count);
      drain_posted();
      continue;
    }
    auto it = watches_.find(fd);
    if (it == watches_.end() || it->second->generation != (ev.data.u64 >> 32)) continue;
    std::shared_ptr<Watch> keep = it->second;
    keep->callback(from_epoll(ev.events));
  }
  if (!stopping_) run_due_timers();
  return ok_status();
}

void EventLoop::run_due_timers() {
  TimePoint t = now();
  while (!stopping_ && !timer_order_.empty() && timer_order_.begin()->first <= t) {
    TimerId id = timer_order_.begin()->second;
    timer_order_.erase(timer_order_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;  // cancelled
    Callback callback = std::move(it->second.second);
    timers_.erase(it);
    callback();
  }
}

void EventLoop::run_deferred() {
  while (!deferred_.empty() && !stopping_) {
    std::vector<Callback> batch;
    batch.swap(deferred_);
    for (auto& callback : batch) callback();
  }
}

void EventLoop::drain_posted() {
  std::vector<Callback> batch;
  {
    std::lock_guard lock(posted_mutex_);
    batch.swap(posted_);
    if (stop_requested_) {
      stopping_ = true;
      stop_requested_ = false;
    }
  }
  for (auto& callback : batch) callback();
}

}  // namespace cohort
