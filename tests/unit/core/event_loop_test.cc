#include "cohort/core/event_loop.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

namespace cohort {
namespace {

std::unique_ptr<EventLoop> make_loop() {
  auto loop = EventLoop::create();
  EXPECT_TRUE(loop.ok());
  return std::move(loop).value();
}

TEST(EventLoop, TimersFireInDeadlineOrder) {
  auto loop = make_loop();
  std::vector<int> fired;
  loop->add_timer(20ms, [&] { fired.push_back(2); });
  loop->add_timer(5ms, [&] { fired.push_back(1); });
  loop->add_timer(30ms, [&] { fired.push_back(3); loop->stop(); });
  ASSERT_TRUE(loop->run_for(5s).ok());
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
}

TEST(EventLoop, CancelledTimerNeverFires) {
  auto loop = make_loop();
  bool fired = false;
  auto id = loop->add_timer(1ms, [&] { fired = true; });
  loop->cancel_timer(id);
  loop->add_timer(10ms, [&] { loop->stop(); });
  ASSERT_TRUE(loop->run_for(5s).ok());
  EXPECT_FALSE(fired);
}

TEST(EventLoop, ReportsReadableFdsAndAllowsUnwatchInsideCallback) {
  auto loop = make_loop();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string got;
  ASSERT_TRUE(loop->watch(fds[0], kReadable, [&](std::uint32_t events) {
                    EXPECT_TRUE(events & kReadable);
                    char c[8];
                    auto n = read(fds[0], c, sizeof c);
                    got.append(c, static_cast<std::size_t>(n));
                    loop->unwatch(fds[0]);
                    loop->stop();
                  }).ok());
  EXPECT_FALSE(loop->watch(fds[0], kReadable, [](std::uint32_t) {}).ok());  // already watched
  ASSERT_EQ(write(fds[1], "hi", 2), 2);
  ASSERT_TRUE(loop->run_for(5s).ok());
  EXPECT_EQ(got, "hi");
  close(fds[0]);
  close(fds[1]);
}

TEST(EventLoop, DeferredCallsRunBeforeWaiting) {
  auto loop = make_loop();
  std::vector<int> order;
  loop->defer([&] {
    order.push_back(1);
    loop->defer([&] { order.push_back(2); loop->stop(); });
  });
  ASSERT_TRUE(loop->run_for(5s).ok());
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(EventLoop, PostAndStopFromAnotherThread) {
  auto loop = make_loop();
  bool posted_ran = false;
  std::thread other([&] {
    loop->post([&] { posted_ran = true; });
    loop->stop();
  });
  ASSERT_TRUE(loop->run_for(10s).ok());
  other.join();
  // The stop request may be seen before or after the post; drain what is left.
  ASSERT_TRUE(loop->run_for(1ms).ok());
  EXPECT_TRUE(posted_ran);
}

TEST(EventLoop, RunForReturnsAtItsDeadline) {
  auto loop = make_loop();
  TimePoint start = loop->now();
  ASSERT_TRUE(loop->run_for(20ms).ok());
  EXPECT_GE(loop->now() - start, Duration(20ms));
}

// Waits are kept to the microsecond: 100 chained timers of 50 us would take
// at least 100 ms if each wait were rounded up to a millisecond.
TEST(EventLoop, ShortTimersAreNotRoundedUpToMilliseconds) {
  auto loop = make_loop();
  int left = 100;
  std::function<void()> again = [&] {
    if (--left == 0) return loop->stop();
    loop->add_timer(50us, again);
  };
  loop->add_timer(50us, again);
  TimePoint start = loop->now();
  ASSERT_TRUE(loop->run_for(10s).ok());
  EXPECT_EQ(left, 0);
  EXPECT_LT(loop->now() - start, Duration(100ms));
}

}  // namespace
}  // namespace cohort
