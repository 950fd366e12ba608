// The simulator's own guarantees: each fault has its effect, crashes lose
// state and timers, and one seed always gives one history.
#include "cohort/sim/simulator.h"

#include <gtest/gtest.h>

namespace cohort::sim {
namespace {

// Sends `count` numbered packets to every peer at start; records receipts.
class Chatter final : public Machine {
 public:
  Chatter(NodeId self, std::size_t nodes, int count) : self_(self), nodes_(nodes), count_(count) {}
  void start(TimePoint, Actions& out) override {
    for (NodeId peer = 0; peer < nodes_; ++peer) {
      if (peer == self_) continue;
      for (int i = 0; i < count_; ++i) out.send(peer, Buffer::copy_of(std::to_string(i)));
    }
    out.set_timer(7, std::chrono::seconds(1));
  }
  void on_packet(TimePoint, NodeId from, const Buffer& bytes, Actions& out) override {
    out.output("got " + std::to_string(from) + " " + std::string(bytes.as_string()));
  }
  void on_timer(TimePoint, TimerKey key, Actions& out) override { out.output("timer " + std::to_string(key)); }

 private:
  NodeId self_;
  std::size_t nodes_;
  int count_;
};

Simulator make_sim(std::uint64_t seed, std::size_t nodes, int count) {
  return Simulator(seed, nodes, [nodes, count](NodeId node, std::uint32_t, Rng) {
    return std::make_unique<Chatter>(node, nodes, count);
  });
}

std::size_t received(const Simulator& sim, NodeId at, NodeId from) {
  std::string prefix = "got " + std::to_string(from) + " ";
  std::size_t n = 0;
  for (const auto& e : sim.history()) {
    if (e.node == at && e.record.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

TEST(Simulator, CleanNetworkDeliversEverythingOnce) {
  Simulator sim = make_sim(1, 3, 100);
  sim.start();
  sim.run_until(TimePoint{} + std::chrono::seconds(5));
  EXPECT_EQ(received(sim, 1, 0), 100u);
  EXPECT_EQ(received(sim, 0, 2), 100u);
  EXPECT_TRUE(sim.idle());
}

TEST(Simulator, LossDropsAboutTheConfiguredShare) {
  Simulator sim = make_sim(2, 2, 5000);
  sim.network().set_default(LinkProfile{.loss = 0.3});
  sim.start();
  sim.run_until(TimePoint{} + std::chrono::seconds(5));
  std::size_t got = received(sim, 1, 0);
  EXPECT_GT(got, 3200u);  // expected 3500
  EXPECT_LT(got, 3800u);
}

TEST(Simulator, DuplicationDeliversSomePacketsTwice) {
  Simulator sim = make_sim(3, 2, 1000);
  sim.network().set_default(LinkProfile{.duplicate = 0.5});
  sim.start();
  sim.run_until(TimePoint{} + std::chrono::seconds(5));
  std::size_t got = received(sim, 1, 0);
  EXPECT_GT(got, 1350u);  // expected 1500
  EXPECT_LT(got, 1650u);
}

TEST(Simulator, DelayJitterReordersPackets) {
  Simulator sim = make_sim(4, 2, 200);
  sim.network().set_default(LinkProfile{.min_delay = std::chrono::milliseconds(1),
                                        .max_delay = std::chrono::milliseconds(50)});
  sim.start();
  sim.run_until(TimePoint{} + std::chrono::seconds(5));
  int previous = -1;
  int inversions = 0;
  for (const auto& e : sim.history()) {
    if (e.node != 1 || e.record.rfind("got 0 ", 0) != 0) continue;
    int i = std::stoi(e.record.substr(6));
    if (i < previous) ++inversions;
    previous = i;
  }
  EXPECT_GT(inversions, 20);
}

TEST(Simulator, ExponentialTailDelaysSomePacketsBeyondTheUniformRange) {
  Simulator sim = make_sim(9, 2, 0);
  LinkProfile p{.min_delay = std::chrono::milliseconds(1), .max_delay = std::chrono::milliseconds(1),
                .tail_mean = std::chrono::milliseconds(10)};
  sim.network().set_default(p);
  Rng rng(9);
  int beyond_mean = 0;
  Duration total{};
  for (int i = 0; i < 2000; ++i) {
    Duration d = sim.network().fate(0, 1, rng).at(0);
    ASSERT_GE(d, Duration(std::chrono::milliseconds(1)));
    total += d;
    if (d > std::chrono::milliseconds(11)) ++beyond_mean;
  }
  EXPECT_GT(beyond_mean, 600);  // exp: P(X > mean) = 0.37, expected 736
  EXPECT_LT(beyond_mean, 880);
  EXPECT_GT(total / 2000, Duration(std::chrono::milliseconds(9)));
  EXPECT_LT(total / 2000, Duration(std::chrono::milliseconds(13)));
}

TEST(Simulator, SymmetricPartitionBlocksBothWaysOnlyAcrossSides) {
  Simulator sim = make_sim(5, 3, 10);
  sim.network().partition({{0}, {1, 2}});
  sim.start();
  sim.run_until(TimePoint{} + std::chrono::seconds(5));
  EXPECT_EQ(received(sim, 1, 0), 0u);
  EXPECT_EQ(received(sim, 0, 1), 0u);
  EXPECT_EQ(received(sim, 2, 1), 10u);
  EXPECT_EQ(sim.stats().packets_blocked, 40u);
}

TEST(Simulator, OneWayBlockIsAsymmetric) {
  Simulator sim = make_sim(6, 2, 10);
  sim.network().block(0, 1);
  sim.start();
  sim.run_until(TimePoint{} + std::chrono::seconds(5));
  EXPECT_EQ(received(sim, 1, 0), 0u);
  EXPECT_EQ(received(sim, 0, 1), 10u);
}

TEST(Simulator, HealRestoresLinks) {
  Simulator sim = make_sim(7, 2, 0);
  sim.network().partition({{0}, {1}});
  sim.network().heal();
  EXPECT_FALSE(sim.network().blocked(0, 1));
  EXPECT_EQ(sim.network().blocked_links(), 0u);
}

TEST(Simulator, CrashDropsTimersAndPacketsAndRestartIsANewIncarnation) {
  Simulator sim = make_sim(8, 2, 5);
  sim.network().set_default(LinkProfile{.min_delay = std::chrono::milliseconds(10),
                                        .max_delay = std::chrono::milliseconds(10)});
  sim.start();
  sim.crash(1);  // before anything arrived
  EXPECT_FALSE(sim.is_up(1));
  sim.run_until(TimePoint{} + std::chrono::seconds(3));
  EXPECT_EQ(received(sim, 1, 0), 0u);
  EXPECT_EQ(sim.stats().packets_to_down_nodes, 5u);
  for (const auto& e : sim.history()) EXPECT_FALSE(e.node == 1 && e.record == "timer 7");

  sim.restart(1);
  EXPECT_EQ(sim.incarnation(1), 1u);
  sim.run_until(TimePoint{} + std::chrono::seconds(6));
  EXPECT_EQ(received(sim, 0, 1), 10u);  // 5 from each incarnation
}

TEST(Simulator, SameSeedSameTraceDifferentSeedDifferentTrace) {
  auto run = [](std::uint64_t seed) {
    Simulator sim = make_sim(seed, 4, 50);
    sim.keep_trace(true);
    sim.network().set_default(LinkProfile{.loss = 0.2, .duplicate = 0.1, .reorder = 0.1});
    sim.start();
    sim.run_until(TimePoint{} + std::chrono::seconds(5));
    return std::make_pair(sim.trace_hash(), sim.trace());
  };
  auto a = run(42);
  auto b = run(42);
  auto c = run(43);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
  EXPECT_NE(a.first, c.first);
}

}  // namespace
}  // namespace cohort::sim
