// What the filecast sender and receiver agree on beyond the packet formats:
// the repair lag, the timer constants of requests, and how many repair
// blocks make a round unlikely to fall short under a given loss.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "cohort/core/clock.h"

namespace cohort::filecast::protocol {

// Group g's proactive repair follows the data of the kRepairLag-th group
// after it, so a receiver that noticed a loss in g has joined g's channel.
inline constexpr std::uint64_t kRepairLag = 4;

// A receiver waits a random time in [0, kRequestSpread] before asking, so
// that one request can suppress the others (SRFTT's randomised back-off).
// The spread is cut in slots by need (1, 2, ..., 8 or more blocks), larger
// needs first, so that the request that covers most goes out first.
inline constexpr Duration kRequestSpread = std::chrono::milliseconds(20);
inline constexpr int kNeedSlots = 8;
// The exponential timers' rate: 1 + ln of the receivers they are tuned for
// (1,000), so that about one of that many in a slot asks.
inline constexpr double kFeedbackLambda = 7.9;
// Every wait starts with this much, for blocks that a round's end overtook.
inline constexpr Duration kRequestSettle = std::chrono::milliseconds(4);
// A round whose last packet was lost is taken as over this long after the
// packets that should have followed it.
inline constexpr Duration kRoundGrace = std::chrono::milliseconds(10);
// Unanswered requests are repeated after kRetryAnswers times the time
// answers have taken (smoothed), within [kMinRetry, kFirstRetry]; kFirstRetry
// before any answer came. Then doubling up to kMaxRetry. A lost request or
// answer then costs about what the network takes, not a fixed 50 ms.
inline constexpr int kRetryAnswers = 4;
inline constexpr Duration kMinRetry = std::chrono::milliseconds(10);
inline constexpr Duration kFirstRetry = std::chrono::milliseconds(50);
inline constexpr Duration kMaxRetry = std::chrono::seconds(1);
// A request that names fewer repair indices than were sent, arriving this
// soon after the last round went out, crossed that round on the way.
inline constexpr Duration kCrossingWindow = std::chrono::milliseconds(20);

// P(X > r) for X ~ Binomial(n, p).
double binomial_tail(int n, double p, int r);

// Loss probabilities of the receivers, each with how many share it.
using LossHistogram = std::vector<std::pair<double, std::size_t>>;

// The fewest extra blocks e (at most `cap`) such that sending `blocks` + e
// packets leaves every receiver short with summed probability <= `risk`.
int extra_blocks(int blocks, const LossHistogram& receivers, double risk, int cap);

}  // namespace cohort::filecast::protocol
