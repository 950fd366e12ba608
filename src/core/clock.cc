#include "cohort/core/clock.h"

#include <cassert>

namespace cohort {

TimePoint RealClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

std::uint64_t unix_time_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

void ManualClock::advance_to(TimePoint t) {
  assert(t >= now_);
  now_ = t;
}

}  // namespace cohort
