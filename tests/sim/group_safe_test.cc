// Safe delivery in the simulator: with the safe layer no member delivers a
// cast before every member of its view received it (save members the next
// view leaves out), and the histories still pass every check through loss,
// duplication and reordering; without it, members do deliver early. A
// failing seed is printed with its replay command.
#include <gtest/gtest.h>

#include "cohort/group/scenario.h"
#include "group_scenario_util.h"
#include "group_test_layers.h"

namespace cohort::group::testing {
namespace {

// Runs `stack` (which names probe_dl at the top and probe_rx above stable)
// for one seed and returns what the probes saw.
SafetyLog probe(std::uint64_t seed, const std::string& stack, bool expect_ok) {
  auto log = std::make_shared<SafetyLog>();
  GroupScenarioOptions options = lossy(stack);
  options.extra_layers["probe_rx"] = [log](const LayerEnv&) { return std::make_unique<ProbeReceived>(log); };
  options.extra_layers["probe_dl"] = [log](const LayerEnv&) { return std::make_unique<ProbeDelivered>(log); };
  GroupScenarioResult r = run_group_scenario(seed, options);
  if (expect_ok) {
    EXPECT_TRUE(r.ok()) << describe(r, options);
  }
  return *log;
}

std::string explain(const SafetyLog::Early& e) {
  std::string missing;
  for (const auto& m : e.missing) missing += " " + m;
  return e.member + " delivered " + e.msg + " in view " + e.view + " before" + missing + " had it";
}

TEST(GroupSafe, NoMemberDeliversACastBeforeEveryMemberHasIt) {
  const std::string stack = "probe_dl:chk_fifo:chk_sync:chk_total:total:safe:gmp:probe_rx:stable:mnak:suspect";
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    SafetyLog log = probe(seed, stack, true);
    EXPECT_GT(log.deliveries, 0u) << "seed " << seed;
    auto early = log.violations();
    if (!early.empty()) {
      ADD_FAILURE() << "seed " << seed << ": " << early.size() << " early deliveries, first: " << explain(early.front())
                    << "\n  reproduce with: " << group_replay_command(seed, lossy(stack));
    }
  }
}

// The control: the same stack without safe delivers before others received.
TEST(GroupSafe, WithoutTheSafeLayerMembersDeliverEarly) {
  const std::string stack = "probe_dl:total:gmp:probe_rx:stable:mnak:suspect";
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    EXPECT_FALSE(probe(seed, stack, false).violations().empty()) << "seed " << seed;
  }
}

TEST(GroupSafe, HistoriesPassThroughLossDuplicationAndReordering) {
  GroupScenarioOptions options = lossy("chk_fifo:chk_sync:chk_total:total:safe:gmp:stable:mnak:suspect");
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    GroupScenarioResult r = run_group_scenario(seed, options);
    EXPECT_TRUE(r.ok()) << describe(r, options);
  }
}

}  // namespace
}  // namespace cohort::group::testing
