// The replay guard: a request runs once, never after its expiry, never with
// an expiry too far ahead, and memory stays bounded by forgetting nonces
// once their requests have expired.
#include "cohort/exec/replay_guard.h"

#include <gtest/gtest.h>

namespace cohort::exec {
namespace {

ExecRequest request(std::uint8_t id, std::uint64_t expires) {
  ExecRequest r;
  r.nonce[0] = id;
  r.expires_unix_ms = expires;
  r.argv = {"true"};
  return r;
}

TEST(ReplayGuard, AdmitsOnceThenRefusesTheReplay) {
  ReplayGuard guard;
  EXPECT_FALSE(guard.admit(request(1, 10'000), 1'000).has_value());
  auto again = guard.admit(request(1, 10'000), 1'500);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->reason, RefusalReason::replayed);
  EXPECT_FALSE(guard.admit(request(2, 10'000), 1'500).has_value());
}

TEST(ReplayGuard, RefusesExpiredAndFarFutureRequests) {
  ReplayGuard guard(ReplayGuard::Options{.max_lifetime_ms = 60'000, .max_clock_skew_ms = 5'000});
  EXPECT_EQ(guard.admit(request(1, 1'000), 1'000)->reason, RefusalReason::expired);
  EXPECT_EQ(guard.admit(request(2, 1'000 + 65'001), 1'000)->reason, RefusalReason::limit_reached);
  EXPECT_FALSE(guard.admit(request(3, 1'000 + 65'000), 1'000).has_value());
}

TEST(ReplayGuard, ForgetsNoncesOnceExpiredAndAReplayThenIsExpired) {
  ReplayGuard guard;
  EXPECT_FALSE(guard.admit(request(1, 2'000), 1'000).has_value());
  EXPECT_EQ(guard.remembered(), 1u);
  EXPECT_EQ(guard.admit(request(1, 2'000), 3'000)->reason, RefusalReason::expired);
  EXPECT_EQ(guard.remembered(), 0u);
}

TEST(ReplayGuard, RefusesRatherThanGrowPastItsCapacity) {
  ReplayGuard guard(ReplayGuard::Options{.capacity = 2});
  EXPECT_FALSE(guard.admit(request(1, 5'000), 1'000).has_value());
  EXPECT_FALSE(guard.admit(request(2, 5'000), 1'000).has_value());
  EXPECT_EQ(guard.admit(request(3, 5'000), 1'000)->reason, RefusalReason::limit_reached);
  EXPECT_FALSE(guard.admit(request(3, 9'000), 6'000).has_value());  // the first two expired
}

}  // namespace
}  // namespace cohort::exec
