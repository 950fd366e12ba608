#include "cohort/sim/rbcast_scenario.h"

#include <fmt/format.h>

#include "cohort/sim/rbcast_checker.h"

namespace cohort::sim {

namespace {

constexpr Duration kFaultStep = std::chrono::milliseconds(250);

class Scenario {
 public:
  Scenario(std::uint64_t seed, const ScenarioOptions& options)
      : options_(options),
        sim_(seed, pick_node_count(seed, options), [this](NodeId node, std::uint32_t inc, Rng) {
          return std::make_unique<ReliableBroadcast>(node, inc, sim_.node_count(),
                                                     ReliableBroadcast::Options{.bug = options_.bug});
        }) {
    result_.seed = seed;
    result_.nodes = sim_.node_count();
    sim_.keep_trace(options.keep_trace);
  }

  ScenarioResult run() {
    if (options_.faults) sim_.network().set_default(random_link());
    sim_.start();
    schedule_workload();
    if (options_.faults) schedule_faults();
    TimePoint heal_time = TimePoint{} + options_.fault_window;
    sim_.at(heal_time, [this] { end_faults(); });
    sim_.run_until(heal_time + options_.settle);
    check();
    return std::move(result_);
  }

 private:
  static std::size_t pick_node_count(std::uint64_t seed, const ScenarioOptions& options) {
    Rng rng(seed, 3);
    return static_cast<std::size_t>(
        rng.between(static_cast<std::int64_t>(options.min_nodes), static_cast<std::int64_t>(options.max_nodes)));
  }

  LinkProfile random_link() {
    Rng& rng = sim_.rng();
    LinkProfile p;
    p.loss = rng.unit() * options_.max_loss;
    p.duplicate = rng.unit() * 0.1;
    p.reorder = rng.unit() * 0.2;
    p.max_delay = rng.duration_between(std::chrono::milliseconds(1), std::chrono::milliseconds(20));
    p.tail_mean = rng.duration_between(Duration::zero(), std::chrono::milliseconds(10));
    return p;
  }

  void schedule_workload() {
    Rng& rng = sim_.rng();
    for (NodeId node = 0; node < sim_.node_count(); ++node) {
      for (int i = 0; i < options_.messages_per_node; ++i) {
        TimePoint when = TimePoint{} + rng.duration_between(Duration::zero(), options_.fault_window);
        std::string text = fmt::format("m{}-{}", node, i);
        sim_.at(when, [this, node, text] {
          sim_.call<ReliableBroadcast>(node, [&](ReliableBroadcast& rb, TimePoint now, Actions& out) {
            rb.broadcast(now, Buffer::copy_of(std::string_view(text)), out);
          });
        });
      }
    }
  }

  void schedule_faults() {
    for (TimePoint t = TimePoint{} + kFaultStep; t < TimePoint{} + options_.fault_window; t += kFaultStep) {
      sim_.at(t, [this] { random_fault(); });
    }
  }

  void random_fault() {
    Rng& rng = sim_.rng();
    auto n = static_cast<NodeId>(sim_.node_count());
    switch (rng.below(12)) {
      case 0: {  // symmetric partition into two random sides
        std::vector<std::vector<NodeId>> sides(2);
        for (NodeId x = 0; x < n; ++x) sides[rng.below(2)].push_back(x);
        sim_.network().partition(sides);
        ++result_.faults.partitions;
        break;
      }
      case 1: {  // asymmetric: one direction of one link fails
        auto from = static_cast<NodeId>(rng.below(n));
        auto to = static_cast<NodeId>(rng.below(n));
        if (from != to) {
          sim_.network().block(from, to);
          ++result_.faults.one_way_blocks;
        }
        break;
      }
      case 2:
        sim_.network().heal();
        ++result_.faults.heals;
        break;
      case 3: {
        auto victim = static_cast<NodeId>(rng.below(n));
        if (sim_.is_up(victim)) {
          sim_.crash(victim);
          ++result_.faults.crashes;
        }
        break;
      }
      case 4:
      case 5: {
        auto node = static_cast<NodeId>(rng.below(n));
        if (!sim_.is_up(node)) {
          sim_.restart(node);
          ++result_.faults.restarts;
        }
        break;
      }
      case 6:
        sim_.network().set_default(random_link());
        ++result_.faults.link_changes;
        break;
      default:
        break;  // a quiet step
    }
  }

  void end_faults() {
    sim_.network().heal();
    for (NodeId node = 0; node < sim_.node_count(); ++node) {
      if (!sim_.is_up(node)) {
        sim_.restart(node);
        ++result_.faults.restarts;
      }
    }
  }

  void check() {
    std::vector<Process> survivors;
    for (NodeId node = 0; node < sim_.node_count(); ++node) {
      survivors.push_back(Process{node, sim_.incarnation(node)});
      std::size_t pending = sim_.machine<ReliableBroadcast>(node)->unacknowledged();
      if (pending != 0) {
        result_.violations.push_back(fmt::format(
            "liveness: node {} still has {} unacknowledged messages {} ms after the last fault", node, pending,
            std::chrono::duration_cast<std::chrono::milliseconds>(options_.settle).count()));
      }
    }
    RbcastCheck check = check_rbcast_history(sim_.history(), survivors);
    result_.violations.insert(result_.violations.end(), check.violations.begin(), check.violations.end());
    result_.broadcasts = check.broadcasts;
    result_.deliveries = check.deliveries;
    result_.stats = sim_.stats();
    result_.trace_hash = sim_.trace_hash();
    result_.trace = sim_.trace();
  }

  ScenarioOptions options_;
  ScenarioResult result_;
  Simulator sim_;
};

}  // namespace

ScenarioResult run_rbcast_scenario(std::uint64_t seed, const ScenarioOptions& options) {
  return Scenario(seed, options).run();
}

std::string replay_command(std::uint64_t seed) {
  return fmt::format("cohort-sim rbcast --seed {} --trace", seed);
}

}  // namespace cohort::sim
