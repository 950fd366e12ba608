#include "cohort/core/signals.h"

#include <gtest/gtest.h>

#include <csignal>
#include <vector>

namespace cohort {
namespace {

TEST(SignalWatcher, ASignalArrivesOnTheLoop) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  std::vector<int> seen;
  auto watcher = SignalWatcher::create(**loop, {SIGUSR1, SIGUSR2}, [&](int s) {
    seen.push_back(s);
    if (s == SIGUSR2) (*loop)->stop();
  });
  ASSERT_TRUE(watcher.ok()) << watcher.error().to_string();
  ASSERT_EQ(raise(SIGUSR1), 0);  // blocked: pending until the loop reads it
  ASSERT_EQ(raise(SIGUSR2), 0);
  ASSERT_TRUE((*loop)->run_for(10s).ok());
  EXPECT_EQ(seen, (std::vector<int>{SIGUSR1, SIGUSR2}));
}

}  // namespace
}  // namespace cohort
