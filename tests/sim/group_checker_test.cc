// The checker layers in the simulator scenario: silent on a correct stack
// over many seeds, and catching a stack broken on purpose (a test layer that
// reorders or drops deliveries at one member) wherever the offline history
// checker sees the same violation. A failing seed is printed with its replay
// command.
#include <gtest/gtest.h>

#include <algorithm>

#include "cohort/group/scenario.h"
#include "group_scenario_util.h"
#include "group_test_layers.h"

namespace cohort::group::testing {
namespace {
constexpr const char* kCheckers = "chk_fifo:chk_sync:chk_total";
constexpr const char* kReliableTotal = "total:gmp:stable:mnak:suspect";

std::string checked(const std::string& rest) { return std::string(kCheckers) + ":" + rest; }

std::size_t reports_of(const GroupScenarioResult& r, const std::string& layer) {
  return static_cast<std::size_t>(std::count_if(r.layer_violations.begin(), r.layer_violations.end(),
                                                [&](const std::string& v) { return v.rfind(layer + " ", 0) == 0; }));
}

bool offline_violates(const GroupScenarioResult& r, const std::string& property) {
  const PropertyResult* p = r.check.find(property);
  return p != nullptr && !p->ok();
}

void expect_silent(std::uint64_t seeds, const GroupScenarioOptions& options) {
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    GroupScenarioResult r = run_group_scenario(seed, options);
    EXPECT_TRUE(r.layer_violations.empty()) << describe(r, options);
  }
}

TEST(GroupCheckers, SilentOnACorrectStackThroughLossDuplicationAndReordering) {
  expect_silent(60, lossy(checked(kReliableTotal)));
}

TEST(GroupCheckers, SilentOnACorrectStackThroughPartitionsAndCrashes) {
  GroupScenarioOptions options;
  options.stack = checked(kReliableTotal);
  expect_silent(40, options);
}

// Runs a broken stack over `seeds` seeds. Wherever the offline checker finds
// `property` violated, `layer` must have reported; returns in how many seeds
// that happened, so a caller can insist the test was not vacuous.
int caught(std::uint64_t seeds, const GroupScenarioOptions& options, const std::string& property,
           const std::string& layer) {
  int violated = 0;
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    GroupScenarioResult r = run_group_scenario(seed, options);
    if (!offline_violates(r, property)) continue;
    ++violated;
    EXPECT_GT(reports_of(r, layer), 0u) << layer << " missed a " << property << " violation: "
                                        << describe(r, options);
  }
  return violated;
}

TEST(GroupCheckers, ChkFifoCatchesCastsOfOneSenderReordered) {
  auto swaps = std::make_shared<int>(0);
  GroupScenarioOptions options = lossy(checked("swap:" + std::string(kReliableTotal)));
  options.extra_layers["swap"] = [swaps](const LayerEnv&) { return std::make_unique<Swap>(1, true, swaps); };
  EXPECT_GE(caught(20, options, "fifo", "chk_fifo"), 15);
  EXPECT_GT(*swaps, 0);
}

TEST(GroupCheckers, ChkTotalCatchesDeliveriesReorderedAtOneMember) {
  auto swaps = std::make_shared<int>(0);
  GroupScenarioOptions options = lossy(checked("swap:" + std::string(kReliableTotal)));
  options.extra_layers["swap"] = [swaps](const LayerEnv&) { return std::make_unique<Swap>(1, false, swaps); };
  EXPECT_GE(caught(20, options, "total order", "chk_total"), 15);
}

TEST(GroupCheckers, ChkSyncCatchesADeliveryDroppedAtOneMember) {
  auto skips = std::make_shared<int>(0);
  GroupScenarioOptions options = lossy(checked("skip:" + std::string(kReliableTotal)));
  options.extra_layers["skip"] = [skips](const LayerEnv&) { return std::make_unique<Skip>(1, skips); };
  EXPECT_GE(caught(20, options, "virtual synchrony", "chk_sync"), 3);
}

// The checkers are loud in the scenario's verdict, not only in their own list.
TEST(GroupCheckers, AReportFailsTheScenario) {
  auto skips = std::make_shared<int>(0);
  GroupScenarioOptions options = lossy(checked("skip:" + std::string(kReliableTotal)));
  options.extra_layers["skip"] = [skips](const LayerEnv&) { return std::make_unique<Skip>(1, skips); };
  GroupScenarioResult r = run_group_scenario(3, options);
  ASSERT_FALSE(r.layer_violations.empty()) << describe(r, options);
  EXPECT_FALSE(r.ok());
  for (const std::string& v : r.layer_violations) {
    EXPECT_NE(std::find(r.violations.begin(), r.violations.end(), v), r.violations.end()) << v;
  }
}

}  // namespace
}  // namespace cohort::group::testing
