// The reliable layers (stable, mnak, pt2pt) in a fixed view on a lossy,
// duplicating, reordering simulated network: casts and sends arrive exactly
// once and in FIFO order, retained casts are collected, a lost last cast is
// repaired, and a cut after the origin crashed is reached from survivors.
#include <gtest/gtest.h>

#include <type_traits>

#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

#include "cohort/group/group_machine.h"
#include "cohort/group/layers/mnak.h"
#include "cohort/group/layers/pt2pt.h"
#include "cohort/sim/simulator.h"

namespace cohort::group {
namespace {

using namespace std::chrono_literals;
using sim::LinkProfile;
using sim::Simulator;

// What each node delivered, by kind and payload; outlives crashed machines.
struct Log {
  std::vector<std::vector<std::string>> casts;  // per node: "origin index"
  std::vector<std::vector<std::string>> sends;  // per node: "from index"
};

class RecordingApp final : public GroupApp {
 public:
  RecordingApp(Log& log, NodeId node) : log_(log), node_(node) {}
  void on_view(const View&, Actions&) override {}
  void on_deliver(const Endpoint&, const Msg& msg, Actions&) override {
    auto& to = msg.kind == Msg::Kind::cast ? log_.casts[node_] : log_.sends[node_];
    to.emplace_back(msg.payload.as_string());
  }

 private:
  Log& log_;
  NodeId node_;
};

std::vector<Endpoint> members(std::size_t n) {
  std::vector<Endpoint> out;
  for (NodeId i = 0; i < n; ++i) out.push_back(Endpoint{i, 0});
  return out;
}

Simulator make_sim(std::uint64_t seed, std::size_t n, const std::string& stack, Log& log) {
  log.casts.assign(n, {});
  log.sends.assign(n, {});
  return Simulator(seed, n, [n, stack, &log](NodeId node, std::uint32_t inc, Rng rng) -> std::unique_ptr<Machine> {
    auto m = GroupMachine::create(Endpoint{node, inc}, GroupConfig{stack, members(n), {}}, rng,
                                  std::make_unique<RecordingApp>(log, node));
    EXPECT_TRUE(m.ok());
    return std::move(m).value();
  });
}

LinkProfile hostile(Rng& rng, double max_loss) {
  LinkProfile p;
  p.loss = rng.unit() * max_loss;
  p.duplicate = 0.05;
  p.reorder = 0.1;
  return p;
}

template <typename L>
L* layer_of(Simulator& sim, NodeId node) {
  for (const auto& l : sim.machine<GroupMachine>(node)->stack().layers()) {
    if (auto* found = dynamic_cast<L*>(l.get())) return found;
  }
  return nullptr;
}

template <typename M = GroupMachine>
void cast_at(Simulator& sim, NodeId node, TimePoint when, std::string payload) {
  sim.at(when, [&sim, node, payload] {
    sim.call<M>(node, [&](M& m, TimePoint now, Actions& out) {
      Buffer bytes = Buffer::copy_of(std::string_view(payload));
      if constexpr (std::is_void_v<decltype(m.cast(now, bytes, out))>) {
        m.cast(now, bytes, out);
      } else {
        EXPECT_TRUE(m.cast(now, bytes, out).ok());
      }
    });
  });
}

void send_at(Simulator& sim, NodeId node, Rank to, TimePoint when, std::string payload) {
  sim.at(when, [&sim, node, to, payload] {
    sim.call<GroupMachine>(node, [&](GroupMachine& m, TimePoint now, Actions& out) {
      EXPECT_TRUE(m.send(now, to, Buffer::copy_of(std::string_view(payload)), out).ok());
    });
  });
}

// Each of `origins` casts 0..count-1; every node in `at` delivered exactly that, in order.
std::string check_fifo(const std::vector<std::string>& got, NodeId node, const std::vector<NodeId>& origins,
                       std::size_t count) {
  std::map<std::string, std::size_t> next;
  for (NodeId o : origins) next[std::to_string(o)] = 0;
  for (const std::string& g : got) {
    const std::string origin = g.substr(0, g.find(' '));
    const std::size_t index = std::stoul(g.substr(g.find(' ') + 1));
    auto it = next.find(origin);
    if (it == next.end()) return fmt::format("node {} delivered unexpected '{}'", node, g);
    if (index != it->second) return fmt::format("node {} delivered '{}', expected index {}", node, g, it->second);
    ++it->second;
  }
  for (const auto& [origin, n] : next) {
    if (n != count) return fmt::format("node {} delivered {} of {} from {}", node, n, count, origin);
  }
  return {};
}

TimePoint at_ms(std::int64_t ms) { return TimePoint{} + std::chrono::milliseconds(ms); }

void casts_exactly_once_in_fifo(const std::string& stack, std::uint64_t seeds) {
  constexpr std::size_t kCasts = 20;
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    Log log;
    Simulator sim = make_sim(seed, 3 + seed % 3, stack, log);
    const std::size_t n = sim.node_count();
    sim.network().set_default(hostile(sim.rng(), 0.2));
    sim.start();
    std::vector<NodeId> origins;
    for (NodeId node = 0; node < n; ++node) {
      origins.push_back(node);
      TimePoint t = at_ms(0);
      for (std::size_t i = 0; i < kCasts; ++i) {
        t += std::chrono::milliseconds(sim.rng().between(0, 25));
        cast_at(sim, node, t, fmt::format("{} {}", node, i));
      }
    }
    sim.run_until(at_ms(15000));
    for (NodeId node = 0; node < n; ++node) {
      std::string err = check_fifo(log.casts[node], node, origins, kCasts);
      ASSERT_TRUE(err.empty()) << "stack " << stack << " seed " << seed << ": " << err;
      ASSERT_EQ(layer_of<Mnak>(sim, node)->retained(), 0u) << "stack " << stack << " seed " << seed << " node " << node;
    }
  }
}

TEST(GroupReliable, CastsArriveOnceInFifoOrderOverStableMnak) { casts_exactly_once_in_fifo("stable:mnak", 200); }

TEST(GroupReliable, CastsArriveOnceInFifoOrderOverStableMnakPt2pt) {
  casts_exactly_once_in_fifo("stable:mnak:pt2pt", 200);
}

TEST(GroupReliable, SendsArriveOnceInOrder) {
  constexpr std::size_t kSends = 20;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Log log;
    Simulator sim = make_sim(seed, 3, "stable:mnak:pt2pt", log);
    sim.network().set_default(hostile(sim.rng(), 0.2));
    sim.start();
    // Every ordered pair carries kSends sends; within a pair, times increase.
    for (NodeId from = 0; from < 3; ++from) {
      for (Rank to = 0; to < 3; ++to) {
        if (to == from) continue;
        for (std::size_t i = 0; i < kSends; ++i) {
          send_at(sim, from, to, at_ms(static_cast<std::int64_t>(i * 20)) + std::chrono::microseconds(sim.rng().below(1000)),
                  fmt::format("{} {}", from, i));
        }
      }
    }
    sim.run_until(at_ms(15000));
    for (NodeId node = 0; node < 3; ++node) {
      std::vector<NodeId> senders;
      for (NodeId s = 0; s < 3; ++s) {
        if (s != node) senders.push_back(s);
      }
      std::string err = check_fifo(log.sends[node], node, senders, kSends);
      ASSERT_TRUE(err.empty()) << "seed " << seed << ": " << err;
      ASSERT_EQ(layer_of<Pt2pt>(sim, node)->unacked(), 0u) << "seed " << seed << " node " << node;
    }
  }
}

TEST(GroupReliable, RetainedCastsStayBoundedUnderLoadAndDrainAfter) {
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    Log log;
    Simulator sim = make_sim(seed, 4, "stable:mnak:pt2pt", log);
    sim.network().set_default(hostile(sim.rng(), 0.2));
    sim.start();
    // 4 nodes x 200 casts/s for 4 s; about 3200 casts in all.
    constexpr std::size_t kCasts = 800;
    for (NodeId node = 0; node < 4; ++node) {
      for (std::size_t i = 0; i < kCasts; ++i) {
        cast_at(sim, node, at_ms(static_cast<std::int64_t>(i * 5)), fmt::format("{} {}", node, i));
      }
    }
    std::size_t peak = 0;
    for (std::int64_t t = 100; t <= 4000; t += 100) {
      sim.run_until(at_ms(t));
      for (NodeId node = 0; node < 4; ++node) peak = std::max(peak, layer_of<Mnak>(sim, node)->retained());
    }
    // A few gossip rounds' worth of traffic, far below the 3200 sent.
    EXPECT_LT(peak, 1000u) << "seed " << seed;
    sim.run_until(at_ms(20000));
    for (NodeId node = 0; node < 4; ++node) {
      std::string err = check_fifo(log.casts[node], node, {0, 1, 2, 3}, kCasts);
      ASSERT_TRUE(err.empty()) << "seed " << seed << ": " << err;
      ASSERT_EQ(layer_of<Mnak>(sim, node)->retained(), 0u) << "seed " << seed << " node " << node;
    }
  }
}

TEST(GroupReliable, LostLastCastIsRepaired) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Log log;
    Simulator sim = make_sim(seed, 3, seed % 2 == 0 ? "stable:mnak" : "stable:mnak:pt2pt", log);
    sim.network().set_default(hostile(sim.rng(), 0.2));
    sim.start();
    for (std::size_t i = 0; i < 5; ++i) cast_at(sim, 0, at_ms(static_cast<std::int64_t>(10 * i)), fmt::format("0 {}", i));
    // Only the last cast is cut off from node 1: nothing after it shows the gap.
    sim.at(at_ms(39), [&sim] { sim.network().block(0, 1); });
    sim.at(at_ms(41), [&sim] { sim.network().unblock(0, 1); });
    sim.run_until(at_ms(15000));
    for (NodeId node = 0; node < 3; ++node) {
      std::string err = check_fifo(log.casts[node], node, {0}, 5);
      ASSERT_TRUE(err.empty()) << "seed " << seed << ": " << err;
    }
  }
}

// A member hosting the stack directly, so the test can act as the membership
// layer and send a CutEvent down (GroupMachine has no such entry point).
class CutHost final : public Machine, private StackTop {
 public:
  CutHost(Endpoint self, std::size_t n, const std::string& stack, Rng rng, Log& log, std::vector<int>& reached)
      : self_(self), n_(n), log_(log), reached_(reached), stack_(make_layers(stack).value(), self, rng, *this) {}

  void start(TimePoint now, Actions& out) override {
    stack_.start(now, out);
    auto view = std::make_shared<View>();
    view->members = members(n_);
    view->id = ViewId{1, view->members.front()};
    stack_.down_event(now, ViewEvent{view}, out);
  }
  void on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) override {
    stack_.receive(now, from, bytes, out);
  }
  void on_timer(TimePoint now, TimerKey key, Actions& out) override { stack_.timer(now, key, out); }
  void cast(TimePoint now, Buffer payload, Actions& out) { stack_.cast(now, std::move(payload), out); }
  void cut(TimePoint now, std::vector<std::uint64_t> cut, Actions& out) {
    stack_.down_event(now, CutEvent{std::move(cut)}, out);
  }

 private:
  void deliver(const Msg& msg, Actions&) override { log_.casts[self_.node].emplace_back(msg.payload.as_string()); }
  void event(const Event& event, Actions&) override {
    if (std::holds_alternative<CutReachedEvent>(event)) ++reached_[self_.node];
  }

  Endpoint self_;
  std::size_t n_;
  Log& log_;
  std::vector<int>& reached_;
  Stack stack_;
};

std::size_t delivered_from(const std::vector<std::string>& got, NodeId origin) {
  const std::string prefix = std::to_string(origin) + " ";
  std::size_t n = 0;
  for (const std::string& g : got) {
    if (g.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

void cut_after_origin_crash(const std::string& stack, std::uint64_t seeds) {
  constexpr std::size_t kNodes = 4, kOrigin0 = 10, kOthers = 3;
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    Log log;
    log.casts.assign(kNodes, {});
    std::vector<int> reached(kNodes, 0);
    Simulator sim(seed, kNodes, [&](NodeId node, std::uint32_t inc, Rng rng) {
      return std::make_unique<CutHost>(Endpoint{node, inc}, kNodes, stack, rng, log, reached);
    });
    sim.network().set_default(hostile(sim.rng(), 0.2));
    sim.start();
    for (std::size_t i = 0; i < kOrigin0; ++i) {
      cast_at<CutHost>(sim, 0, at_ms(static_cast<std::int64_t>(10 * i)), fmt::format("0 {}", i));
    }
    for (NodeId node = 1; node < kNodes; ++node) {
      for (std::size_t i = 0; i < kOthers; ++i) {
        cast_at<CutHost>(sim, node, at_ms(static_cast<std::int64_t>(10 * i + node)), fmt::format("{} {}", node, i));
      }
    }
    // The later casts of node 0 reach node 1 at most; then node 0 is gone.
    sim.at(at_ms(45), [&sim] {
      sim.network().block(0, 2);
      sim.network().block(0, 3);
    });
    sim.at(at_ms(200), [&sim] { sim.crash(0); });
    // The test plays the membership layer: the cut is what some survivor has.
    std::vector<std::uint64_t> cut(kNodes, 0);
    sim.at(at_ms(1000), [&] {
      for (NodeId origin = 0; origin < kNodes; ++origin) {
        for (NodeId node = 1; node < kNodes; ++node) {
          cut[origin] = std::max<std::uint64_t>(cut[origin], delivered_from(log.casts[node], origin));
        }
      }
      for (NodeId node = 1; node < kNodes; ++node) {
        sim.call<CutHost>(node, [&](CutHost& m, TimePoint now, Actions& out) { m.cut(now, cut, out); });
      }
    });
    sim.run_until(at_ms(6000));
    for (NodeId node = 1; node < kNodes; ++node) {
      for (NodeId origin = 0; origin < kNodes; ++origin) {
        ASSERT_EQ(delivered_from(log.casts[node], origin), cut[origin])
            << "stack " << stack << " seed " << seed << " node " << node << " origin " << origin;
      }
      std::vector<NodeId> all{1, 2, 3};
      std::vector<std::string> others;
      for (const std::string& g : log.casts[node]) {
        if (g.rfind("0 ", 0) != 0) others.push_back(g);
      }
      std::string err = check_fifo(others, node, all, kOthers);
      ASSERT_TRUE(err.empty()) << "stack " << stack << " seed " << seed << ": " << err;
      ASSERT_EQ(reached[node], 1) << "stack " << stack << " seed " << seed << " node " << node;
    }
  }
}

TEST(GroupReliable, CutAfterOriginCrashIsReachedFromSurvivorsOverStableMnak) {
  cut_after_origin_crash("stable:mnak", 200);
}

TEST(GroupReliable, CutAfterOriginCrashIsReachedFromSurvivorsOverStableMnakPt2pt) {
  cut_after_origin_crash("stable:mnak:pt2pt", 200);
}

}  // namespace
}  // namespace cohort::group
