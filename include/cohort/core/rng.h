// A small, fast, seedable PRNG (xoshiro256**) with portable helpers. Protocols
// and the simulator draw all randomness from one of these, so a seed fixes a
// run. The std distributions are avoided on purpose: their output differs
// between standard libraries, which would break replay across machines.
#pragma once

#include <array>
#include <cstdint>

#include "cohort/core/clock.h"

namespace cohort {

class Rng {
 public:
  // Streams derived from one seed are independent for practical purposes.
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0);

  std::uint64_t next();
  // Uniform in [0, bound); bound must be > 0.
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi);
  // Uniform in [0, 1).
  double unit();
  bool chance(double probability) { return unit() < probability; }
  Duration duration_between(Duration lo, Duration hi);
  // A new generator seeded from this one (for handing to a component).
  Rng fork();

 private:
  std::array<std::uint64_t, 4> s_{};
};

// FNV-1a, 64-bit: stable content hashes for traces and checkers (not security).
std::uint64_t fnv1a64(const void* data, std::size_t size, std::uint64_t seed = 0xcbf29ce484222325ULL);

}  // namespace cohort
