// Runs a filecast scenario over many seeds, failing with the seed and its
// replay command when a run breaks a property, and sums what it measured.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "cohort/filecast/cast_scenario.h"

namespace cohort::filecast {

struct SweepTotals {
  std::uint64_t runs = 0, groups = 0, requests = 0;
  Duration slowest{};
  double requests_per_group() const { return groups == 0 ? 0 : static_cast<double>(requests) / static_cast<double>(groups); }
  double slowest_ms() const { return std::chrono::duration<double, std::milli>(slowest).count(); }
};

inline std::string describe(const CastScenarioResult& r, const CastScenarioOptions& o) {
  std::string text = "seed " + std::to_string(r.seed) + " failed:\n";
  for (const auto& v : r.violations) text += "  " + v + "\n";
  return text + "  reproduce with: " + cast_replay_command(r.seed, o) + "\n";
}

// Runs seeds 1..count; every receiver must end complete and byte-exact
// unless `allow_errors` (then: exact or a clear error).
inline SweepTotals sweep(const CastScenarioOptions& o, std::uint64_t count, bool allow_errors = false) {
  SweepTotals t;
  for (std::uint64_t seed = 1; seed <= count; ++seed) {
    CastScenarioResult r = run_cast_scenario(seed, o);
    EXPECT_TRUE(r.ok()) << describe(r, o);
    for (const auto& rr : r.receivers) {
      if (!allow_errors) {
        EXPECT_TRUE(rr.complete && rr.exact) << "seed " << seed << " receiver " << rr.node << ": " << rr.error
                                             << "\n  reproduce with: " << cast_replay_command(seed, o);
      }
      t.requests += rr.stats.requests_sent;
    }
    ++t.runs;
    t.groups += r.groups;
    t.slowest = std::max(t.slowest, r.completion);
    if (::testing::Test::HasFailure()) break;
  }
  return t;
}

}  // namespace cohort::filecast
