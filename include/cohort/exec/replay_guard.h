// Refuses replayed and stale exec requests. A request carries a random nonce
// and an expiry; the daemon accepts it only while it has not expired, if the
// expiry lies no further ahead than the allowed lifetime (so that remembering
// nonces until they expire takes bounded memory), and if its nonce was not
// seen before. I/O-free: the caller passes the wall-clock time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "cohort/exec/protocol.h"

namespace cohort::exec {

class ReplayGuard {
 public:
  struct Options {
    std::uint64_t max_lifetime_ms = 60'000;  // how far ahead an expiry may lie
    std::uint64_t max_clock_skew_ms = 5'000;  // the client's clock may run this far ahead
    std::size_t capacity = 1'000'000;         // nonces remembered at once
  };
  ReplayGuard() : ReplayGuard(Options()) {}
  explicit ReplayGuard(Options options) : options_(options) {}

  // Accepts and remembers the request's nonce (nullopt), or says why not:
  // expired, replayed, or limit_reached (expiry too far ahead, or too many
  // live nonces), with a detail for the client.
  std::optional<Refusal> admit(const Nonce& nonce, std::uint64_t expires_unix_ms, std::uint64_t now_unix_ms);
  std::optional<Refusal> admit(const ExecRequest& request, std::uint64_t now_unix_ms) {
    return admit(request.nonce, request.expires_unix_ms, now_unix_ms);
  }
  std::size_t remembered() const { return nonces_.size(); }

 private:
  void forget_expired(std::uint64_t now_unix_ms);

  Options options_;
  std::set<Nonce> nonces_;
  std::multimap<std::uint64_t, Nonce> by_expiry_;
};

}  // namespace cohort::exec
