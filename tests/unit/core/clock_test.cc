#include "cohort/core/clock.h"

#include <gtest/gtest.h>

namespace cohort {
namespace {

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock clock;
  TimePoint start = clock.now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(5ms);
  EXPECT_EQ(clock.now() - start, Duration(5ms));
  clock.advance_to(start + 7ms);
  EXPECT_EQ(to_millis(clock.now()), to_millis(start) + 7);
}

TEST(Clock, RealClockIsMonotonic) {
  RealClock clock;
  TimePoint a = clock.now();
  TimePoint b = clock.now();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace cohort
