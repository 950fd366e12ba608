// Membership (gmp) and total order in the simulator: processes that start
// alone merge into one view, and casts are delivered in one order everywhere.
#include <gtest/gtest.h>

#include <map>

#include "cohort/group/group_machine.h"
#include "cohort/sim/simulator.h"

namespace cohort::group {
namespace {

// Records views and deliveries of one member.
class Recorder final : public GroupApp {
 public:
  void on_view(const View& view, Actions&) override { views.push_back(view); }
  void on_deliver(const Endpoint&, const Msg& msg, Actions&) override {
    delivered.emplace_back(msg.payload.as_string());
  }
  std::vector<View> views;
  std::vector<std::string> delivered;
};

sim::Simulator make_group(std::uint64_t seed, std::size_t nodes, const std::string& stack) {
  std::vector<NodeId> seeds;
  for (NodeId n = 0; n < nodes; ++n) seeds.push_back(n);
  sim::Simulator sim(seed, nodes, [stack, seeds](NodeId node, std::uint32_t inc, Rng rng) {
    GroupConfig config{.stack = stack, .static_members = {}, .seeds = seeds};
    auto m = GroupMachine::create(Endpoint{node, inc}, config, rng, std::make_unique<Recorder>());
    EXPECT_TRUE(m.ok());
    return std::move(m).value();
  });
  // FIFO and lossless: the reliable layers are not in these stacks.
  sim.network().set_default(sim::LinkProfile{.min_delay = std::chrono::milliseconds(1),
                                             .max_delay = std::chrono::milliseconds(1)});
  return sim;
}

Recorder& app(sim::Simulator& sim, NodeId n) {
  return static_cast<Recorder&>(sim.machine<GroupMachine>(n)->app());
}

TEST(GroupMembership, SingletonsMergeIntoOnePrimaryView) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    sim::Simulator sim = make_group(seed, 5, "gmp");
    sim.start();
    sim.run_until(TimePoint{} + std::chrono::seconds(5));
    const View* first = sim.machine<GroupMachine>(0)->view();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(first->size(), 5u) << "seed " << seed;
    EXPECT_TRUE(first->primary) << "seed " << seed;
    for (NodeId n = 1; n < 5; ++n) {
      EXPECT_EQ(sim.machine<GroupMachine>(n)->view()->id, first->id) << "seed " << seed << " node " << n;
    }
    for (NodeId n = 0; n < 5; ++n) {
      const auto& views = app(sim, n).views;
      for (std::size_t i = 1; i < views.size(); ++i) {
        EXPECT_LT(views[i - 1].id, views[i].id) << "seed " << seed;
      }
    }
  }
}

TEST(GroupMembership, TotalOrderIsTheSameEverywhere) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    sim::Simulator sim = make_group(seed, 4, "total:gmp");
    sim.start();
    sim.run_until(TimePoint{} + std::chrono::seconds(3));
    for (int i = 0; i < 30; ++i) {
      for (NodeId n = 0; n < 4; ++n) {
        sim.at(sim.now() + std::chrono::milliseconds(i), [&sim, n, i] {
          sim.call<GroupMachine>(n, [&](GroupMachine& m, TimePoint now, Actions& out) {
            EXPECT_TRUE(m.cast(now, Buffer::copy_of(std::to_string(n) + ":" + std::to_string(i)), out).ok());
          });
        });
      }
    }
    sim.run_until(sim.now() + std::chrono::seconds(3));
    const auto& reference = app(sim, 0).delivered;
    EXPECT_EQ(reference.size(), 120u) << "seed " << seed;
    for (NodeId n = 1; n < 4; ++n) EXPECT_EQ(app(sim, n).delivered, reference) << "seed " << seed << " node " << n;
  }
}

}  // namespace
}  // namespace cohort::group
