// Time for cohort: protocols never read a clock, they are handed the time.
// Drivers read a Clock; the real one is the monotonic clock, the manual one is
// moved by the simulator (and by tests).
#pragma once

#include <chrono>
#include <cstdint>

namespace cohort {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

using std::chrono_literals::operator""ms;
using std::chrono_literals::operator""us;
using std::chrono_literals::operator""s;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class RealClock final : public Clock {
 public:
  TimePoint now() const override;
};

// A clock that moves only when told to; time never goes backwards.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{}) : now_(start) {}
  TimePoint now() const override { return now_; }
  // REQUIRES: t >= now().
  void advance_to(TimePoint t);
  void advance(Duration d) { advance_to(now_ + d); }

 private:
  TimePoint now_;
};

// Wall-clock milliseconds since the Unix epoch, for what must mean the same
// on every machine (request expiries, task records); never for timeouts.
std::uint64_t unix_time_ms();

// Whole milliseconds since the clock's epoch, for traces and logs.
inline std::int64_t to_millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace cohort
