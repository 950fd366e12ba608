#include "cohort/exec/replay_guard.h"

#include <string>

namespace cohort::exec {

std::optional<Refusal> ReplayGuard::admit(const Nonce& nonce, std::uint64_t expires_unix_ms,
                                          std::uint64_t now_unix_ms) {
  forget_expired(now_unix_ms);
  if (expires_unix_ms <= now_unix_ms) {
    return Refusal{RefusalReason::expired, "the request expired " +
                                               std::to_string(now_unix_ms - expires_unix_ms) +
                                               " ms ago (check the clocks of client and host)"};
  }
  std::uint64_t latest = now_unix_ms + options_.max_lifetime_ms + options_.max_clock_skew_ms;
  if (expires_unix_ms > latest) {
    return Refusal{RefusalReason::limit_reached,
                   "the request's expiry lies more than " + std::to_string(options_.max_lifetime_ms) +
                       " ms ahead (check the client's clock)"};
  }
  if (nonces_.count(nonce) != 0) {
    return Refusal{RefusalReason::replayed, "this request was seen before: a captured request cannot run twice"};
  }
  if (nonces_.size() >= options_.capacity) {
    return Refusal{RefusalReason::limit_reached, "too many requests within their lifetime; retry shortly"};
  }
  nonces_.insert(nonce);
  by_expiry_.emplace(expires_unix_ms, nonce);
  return std::nullopt;
}

void ReplayGuard::forget_expired(std::uint64_t now_unix_ms) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now_unix_ms) {
    nonces_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

}  // namespace cohort::exec
