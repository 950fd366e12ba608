// Multicast channels in the simulator: a multicast reaches every other node
// that joined the channel, each copy through its own link's faults; leaving
// or crashing stops reception; one seed still gives one trace.
#include <gtest/gtest.h>

#include <set>

#include "cohort/sim/simulator.h"

namespace cohort::sim {
namespace {

using std::chrono::milliseconds;
constexpr TimerKey kCast = 1;

// Joins its channels at start; `cast_after` later multicasts `count`
// numbered datagrams on `cast_on`. Records every receipt.
class Caster final : public Machine {
 public:
  Caster(std::set<ChannelId> joins, ChannelId cast_on, int count)
      : joins_(std::move(joins)), cast_on_(cast_on), count_(count) {}
  void start(TimePoint, Actions& out) override {
    for (ChannelId c : joins_) out.join_channel(c);
    out.set_timer(kCast, milliseconds(100));
  }
  void on_packet(TimePoint, NodeId from, const Buffer& bytes, Actions& out) override {
    out.output("got " + std::to_string(from) + " " + std::string(bytes.as_string()));
  }
  void on_timer(TimePoint, TimerKey, Actions& out) override {
    for (int i = 0; i < count_; ++i) out.multicast(cast_on_, Buffer::copy_of(std::to_string(i)));
  }

 private:
  std::set<ChannelId> joins_;
  ChannelId cast_on_;
  int count_;
};

// Node 0 multicasts `count` on channel 5; nodes 0..2 join channel 5, node 3
// joins channel 6 only; the others send nothing.
Simulator make_sim(std::uint64_t seed, int count) {
  return Simulator(seed, 4, [count](NodeId node, std::uint32_t, Rng) {
    std::set<ChannelId> joins = node == 3 ? std::set<ChannelId>{6} : std::set<ChannelId>{5};
    return std::make_unique<Caster>(joins, 5, node == 0 ? count : 0);
  });
}

std::size_t received(const Simulator& sim, NodeId at) {
  std::size_t n = 0;
  for (const auto& e : sim.history()) {
    if (e.node == at && e.record.rfind("got 0 ", 0) == 0) ++n;
  }
  return n;
}

TEST(SimulatorMulticast, ReachesEveryOtherJoinedNodeOnceAndNeverTheSender) {
  Simulator sim = make_sim(1, 10);
  sim.start();
  sim.run_until(TimePoint{} + std::chrono::seconds(2));
  EXPECT_EQ(received(sim, 1), 10u);
  EXPECT_EQ(received(sim, 2), 10u);
  EXPECT_EQ(received(sim, 0), 0u);  // not to itself
  EXPECT_EQ(received(sim, 3), 0u);  // another channel
  EXPECT_TRUE(sim.joined(3, 6));
  EXPECT_FALSE(sim.joined(3, 5));
  EXPECT_EQ(sim.stats().multicasts_sent, 10u);
  EXPECT_EQ(sim.stats().packets_sent, 10u);
  EXPECT_EQ(sim.stats().packets_delivered, 20u);
}

TEST(SimulatorMulticast, EachCopyMeetsItsOwnLinksFaults) {
  Simulator sim = make_sim(2, 2000);
  sim.network().set_link(0, 1, LinkProfile{.loss = 0.3});
  sim.network().block(0, 2);  // one way: 2 still reaches 0
  sim.start();
  sim.run_until(TimePoint{} + std::chrono::seconds(5));
  std::size_t lossy = received(sim, 1);
  EXPECT_GT(lossy, 1200u);  // expected 1400
  EXPECT_LT(lossy, 1600u);
  EXPECT_EQ(received(sim, 2), 0u);
  EXPECT_EQ(sim.stats().packets_blocked, 2000u);
  EXPECT_EQ(sim.stats().packets_lost, 2000u - lossy);
}

TEST(SimulatorMulticast, LeavingOrCrashingStopsReceptionAndARestartJoinsAgain) {
  Simulator sim = make_sim(3, 10);
  sim.start();
  sim.at(TimePoint{} + milliseconds(50), [&] {
    sim.call<Caster>(1, [](Caster&, TimePoint, Actions& out) { out.leave_channel(5); });
    sim.crash(2);
  });
  sim.run_until(TimePoint{} + std::chrono::seconds(1));
  EXPECT_EQ(received(sim, 1), 0u);
  EXPECT_EQ(received(sim, 2), 0u);
  EXPECT_FALSE(sim.joined(1, 5));
  EXPECT_FALSE(sim.joined(2, 5));

  sim.restart(2);  // its new incarnation joins at start
  EXPECT_TRUE(sim.joined(2, 5));
  sim.call<Caster>(0, [](Caster&, TimePoint, Actions& out) { out.multicast(5, Buffer::copy_of("again")); });
  sim.run_until(TimePoint{} + std::chrono::seconds(2));
  EXPECT_EQ(received(sim, 2), 1u);
  EXPECT_EQ(received(sim, 1), 0u);
}

TEST(SimulatorMulticast, CopiesInFlightWhenTheReceiverLeavesAreNotDelivered) {
  Simulator sim = make_sim(4, 1);
  sim.keep_trace(true);
  sim.network().set_default(LinkProfile{.min_delay = milliseconds(10), .max_delay = milliseconds(10)});
  sim.start();
  sim.at(TimePoint{} + milliseconds(105), [&] {  // the cast left at 100 ms and lands at 110 ms
    sim.call<Caster>(1, [](Caster&, TimePoint, Actions& out) { out.leave_channel(5); });
  });
  sim.run_until(TimePoint{} + std::chrono::seconds(1));
  EXPECT_EQ(received(sim, 1), 0u);
  EXPECT_EQ(received(sim, 2), 1u);
  EXPECT_EQ(sim.stats().packets_after_leave, 1u) << sim.trace();
}

std::string trace_of(std::uint64_t seed) {
  Simulator sim = make_sim(seed, 300);
  sim.keep_trace(true);
  sim.network().set_default(LinkProfile{.loss = 0.2, .duplicate = 0.1, .reorder = 0.2});
  sim.start();
  sim.run_until(TimePoint{} + std::chrono::seconds(3));
  return sim.trace();
}

TEST(SimulatorMulticast, OneSeedGivesOneTraceByteForByte) {
  std::string first = trace_of(11);
  EXPECT_EQ(first, trace_of(11));
  EXPECT_NE(first, trace_of(12));
  EXPECT_NE(first.find(" mcast ch=5 "), std::string::npos);
}

}  // namespace
}  // namespace cohort::sim
