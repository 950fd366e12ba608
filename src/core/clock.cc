#include "cohort/core/clock.h"

#include <cassert>

namespace cohort {

TimePoint RealClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

void ManualClock::advance_to(TimePoint t) {
  assert(t >= now_);
  now_ = t;
}

}  // namespace cohort
