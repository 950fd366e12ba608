#include "cohort/group/scenario.h"

#include <fmt/format.h>

#include "cohort/core/rng.h"
#include "cohort/group/group_machine.h"
#include "cohort/group/history.h"
#include "cohort/sim/simulator.h"

namespace cohort::group {

namespace {

constexpr Duration kFaultStep = std::chrono::milliseconds(500);
constexpr ChannelId kChannel = 1;  // the group's channel in multicast mode

// A checker layer's report ("chk_total violation: ..."), not a history line.
bool is_layer_violation(const std::string& record) {
  return !record.empty() && record.front() != '{' && record.find(" violation: ") != std::string::npos;
}

// How long a crash-during-view-change fault waits for a view change to hit.
constexpr Duration kViewChangeWatch = std::chrono::milliseconds(2000);
constexpr Duration kWatchStep = std::chrono::milliseconds(5);

// The application of every simulated member: records its history and keeps a
// state (an order-insensitive digest of what it delivered) for state transfer.
class ScenarioApp final : public GroupApp {
 public:
  explicit ScenarioApp(Endpoint self) : self_(self.to_string()), recorder_(self) {}

  void on_view(const View& view, Actions& out) override {
    recorder_.on_view(view, out);
    std::string id = view.id.to_string();
    if (restored_) out.output(to_json_line(StateReceived{self_, id, digest(*restored_)}));
    if (sent_) out.output(to_json_line(StateSent{self_, id, digest(*sent_)}));
    restored_.reset();
    sent_.reset();
  }
  void on_deliver(const Endpoint& from, const Msg& msg, Actions& out) override {
    recorder_.on_deliver(from, msg, out);
    std::string_view id = history_payload_id(msg.payload.as_string());
    state_.first ^= fnv1a64(id.data(), id.size());
    ++state_.second;
  }
  void on_block(Actions& out) override { recorder_.on_block(out); }
  void on_left(Actions& out) override { recorder_.exit(ExitReason::leave, out); }
  Buffer snapshot() override {
    sent_ = state_;
    ByteWriter w;
    w.u64(state_.first);
    w.u64(state_.second);
    return w.finish();
  }
  void restore(const Buffer& state) override {
    ByteReader r(state);
    std::pair<std::uint64_t, std::uint64_t> s{r.u64(), r.u64()};
    if (r.finish().ok()) {
      state_ = s;
      restored_ = s;
    }
  }
  HistoryRecorder& recorder() { return recorder_; }

 private:
  static std::string digest(const std::pair<std::uint64_t, std::uint64_t>& s) {
    return fmt::format("{:016x}/{}", s.first, s.second);
  }
  std::string self_;
  HistoryRecorder recorder_;
  std::pair<std::uint64_t, std::uint64_t> state_{0, 0};
  std::optional<std::pair<std::uint64_t, std::uint64_t>> restored_, sent_;
};

class Scenario {
 public:
  Scenario(std::uint64_t seed, const GroupScenarioOptions& options)
      : options_(options), sim_(seed, pick_nodes(seed, options), [this](NodeId n, std::uint32_t inc, Rng rng) {
          return make_member(n, inc, rng);
        }) {
    result_.seed = seed;
    result_.nodes = sim_.node_count();
  }

  GroupScenarioResult run() {
    sim_.keep_trace(options_.keep_trace);
    sim_.network().set_default(random_link());
    std::vector<NodeId> later = pick_late_joiner();
    sim_.start(later);
    schedule_casts();
    if (options_.faults) schedule_faults();
    TimePoint end_of_faults = TimePoint{} + options_.fault_window;
    sim_.at(end_of_faults, [this] { end_faults(); });
    sim_.run_until(end_of_faults + options_.settle);
    check();
    return std::move(result_);
  }

 private:
  static std::size_t pick_nodes(std::uint64_t seed, const GroupScenarioOptions& o) {
    Rng rng(seed, 3);
    return static_cast<std::size_t>(rng.between(static_cast<std::int64_t>(o.min_nodes), static_cast<std::int64_t>(o.max_nodes)));
  }

  std::unique_ptr<Machine> make_member(NodeId node, std::uint32_t inc, Rng rng) {
    std::vector<NodeId> seeds;
    for (NodeId n = 0; n < sim_.node_count(); ++n) seeds.push_back(n);
    Endpoint self{node, inc};
    GroupConfig config{options_.stack, {}, seeds, {}, BottomOptions{options_.bottom, kChannel}};
    auto machine = GroupMachine::create(self, config, rng, std::make_unique<ScenarioApp>(self), options_.extra_layers);
    if (!machine) {
      result_.violations.push_back("setup: " + machine.error().to_string());
      return nullptr;
    }
    return std::move(machine).value();
  }

  sim::LinkProfile random_link() {
    Rng& rng = sim_.rng();
    sim::LinkProfile p;
    p.min_delay = std::chrono::milliseconds(1);
    p.max_delay = std::chrono::milliseconds(1);
    p.loss = rng.unit() * options_.max_loss;
    if (options_.reorder) {
      p.duplicate = rng.unit() * 0.05;
      p.reorder = rng.unit() * 0.1;
      p.max_delay = rng.duration_between(std::chrono::milliseconds(1), std::chrono::milliseconds(10));
    }
    return p;
  }

  // Half the runs hold one node back and start it during the traffic: a join
  // under traffic, besides the restarts.
  std::vector<NodeId> pick_late_joiner() {
    Rng& rng = sim_.rng();
    if (!options_.faults || !rng.chance(0.5)) return {};
    auto node = static_cast<NodeId>(rng.below(sim_.node_count()));
    TimePoint when = TimePoint{} + rng.duration_between(std::chrono::milliseconds(500), options_.fault_window);
    sim_.at(when, [this, node] {
      if (sim_.is_up(node) || sim_.incarnation(node) != 0) return;  // a restart started it already
      sim_.annotate(fmt::format("late join {}", node));
      sim_.start_node(node);
      ++result_.late_joins;
    });
    return {node};
  }

  void schedule_casts() {
    Rng& rng = sim_.rng();
    for (NodeId node = 0; node < sim_.node_count(); ++node) {
      for (int i = 0; i < options_.casts_per_node; ++i) {
        TimePoint when = TimePoint{} + rng.duration_between(Duration::zero(), options_.fault_window);
        sim_.at(when, [this, node] {
          sim_.call<GroupMachine>(node, [](GroupMachine& m, TimePoint now, Actions& out) {
            auto& app = static_cast<ScenarioApp&>(m.app());
            (void)app.recorder().cast(m, now, "x", out);  // a refusal (flow control) is not a fault
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

  // The first member of the view a live member is in: the sequencer of total
  // order and the coordinator of membership.
  void crash_sequencer() {
    auto from = static_cast<NodeId>(sim_.rng().below(sim_.node_count()));
    GroupMachine* m = sim_.machine<GroupMachine>(from);
    if (m == nullptr || m->view() == nullptr) return;
    const Endpoint& first = m->view()->members.front();
    if (!sim_.is_up(first.node) || sim_.incarnation(first.node) != first.incarnation) return;
    sim_.annotate(fmt::format("crash sequencer {}", first.node));
    crash(first.node);
    ++result_.sequencer_crashes;
  }

  // Watches for a member blocked in a view change and crashes it then.
  void crash_in_view_change(TimePoint deadline) {
    std::vector<NodeId> blocked;
    for (NodeId n = 0; n < sim_.node_count(); ++n) {
      GroupMachine* m = sim_.machine<GroupMachine>(n);
      if (m != nullptr && m->blocked()) blocked.push_back(n);
    }
    if (!blocked.empty()) {
      NodeId victim = blocked[sim_.rng().below(blocked.size())];
      sim_.annotate(fmt::format("crash in view change {}", victim));
      crash(victim);
      ++result_.view_change_crashes;
      return;
    }
    TimePoint next = sim_.now() + kWatchStep;
    if (next <= deadline) sim_.at(next, [this, deadline] { crash_in_view_change(deadline); });
  }

  void crash(NodeId node) {
    // The harness writes the crashed member's last history line.
    crashed_lines_.push_back(to_json_line(Exited{Endpoint{node, sim_.incarnation(node)}.to_string(), ExitReason::crash}));
    sim_.crash(node);
    ++result_.crashes;
  }

  void random_fault() {
    Rng& rng = sim_.rng();
    auto n = static_cast<NodeId>(sim_.node_count());
    std::uint64_t kind = rng.below(12);
    if (!options_.partitions && kind <= 2) return;
    switch (kind) {
      case 0: {
        std::vector<std::vector<NodeId>> sides(2);
        for (NodeId x = 0; x < n; ++x) sides[rng.below(2)].push_back(x);
        sim_.network().partition(sides);
        sim_.annotate(fmt::format("partition {} | {}", fmt::join(sides[0], ","), fmt::join(sides[1], ",")));
        ++result_.partitions;
        break;
      }
      case 1: {
        auto a = static_cast<NodeId>(rng.below(n));
        auto b = static_cast<NodeId>(rng.below(n));
        if (a != b) {
          sim_.network().block(a, b);
          sim_.annotate(fmt::format("block {}->{}", a, b));
          ++result_.one_way;
        }
        break;
      }
      case 2:
        sim_.network().heal();
        sim_.annotate("heal");
        ++result_.heals;
        break;
      case 3: {
        auto victim = static_cast<NodeId>(rng.below(n));
        if (sim_.is_up(victim)) {
          sim_.annotate(fmt::format("crash {}", victim));
          crash(victim);
        }
        break;
      }
      case 4: {
        auto node = static_cast<NodeId>(rng.below(n));
        if (!sim_.is_up(node)) {
          sim_.annotate(fmt::format("restart {}", node));
          sim_.restart(node);
          ++result_.restarts;
        }
        break;
      }
      case 5:
        crash_sequencer();
        break;
      case 6:
        crash_in_view_change(std::min(sim_.now() + kViewChangeWatch, TimePoint{} + options_.fault_window));
        break;
      default:
        break;
    }
  }

  void end_faults() {
    sim_.network().heal();
    for (NodeId node = 0; node < sim_.node_count(); ++node) {
      if (!sim_.is_up(node)) {
        sim_.restart(node);
        ++result_.restarts;
      }
    }
  }

  void check() {
    std::vector<HistoryEvent> events;
    auto add = [&](const std::string& line) {
      if (is_layer_violation(line)) {
        result_.layer_violations.push_back(line);
        result_.violations.push_back(line);
        return;
      }
      auto e = parse_history_line(line);
      if (!e) {
        result_.violations.push_back("history: " + e.error().to_string());
        return;
      }
      events.push_back(std::move(e).value());
      if (options_.keep_history) result_.history.push_back(line);
    };
    // A crashed incarnation records nothing after its crash line, so the
    // crash lines can all go after the simulator's history.
    for (const auto& entry : sim_.history()) add(entry.record);
    for (const std::string& line : crashed_lines_) add(line);
    result_.check = check_history(events, CheckOptions{options_.total_order, /*expect_final_view=*/true, 5});
    for (const PropertyResult& p : result_.check.properties) {
      for (const std::string& v : p.violations) result_.violations.push_back(p.name + ": " + v);
    }
    result_.packets = sim_.stats().packets_sent;
    result_.trace = sim_.trace();
  }

  GroupScenarioOptions options_;
  GroupScenarioResult result_;
  std::vector<std::string> crashed_lines_;
  sim::Simulator sim_;
};

}  // namespace

GroupScenarioResult run_group_scenario(std::uint64_t seed, const GroupScenarioOptions& options) {
  return Scenario(seed, options).run();
}

std::string group_replay_command(std::uint64_t seed, const GroupScenarioOptions& options) {
  std::string cmd = fmt::format("cohort-sim group --stack {} --seed {}", options.stack, seed);
  if (options.max_loss > 0) cmd += fmt::format(" --max-loss {}", options.max_loss);
  if (options.reorder) cmd += " --reorder";
  if (!options.faults) cmd += " --no-faults";
  if (options.faults && !options.partitions) cmd += " --no-partitions";
  if (!options.total_order) cmd += " --no-total";
  if (options.bottom != BottomMode::fanout) cmd += fmt::format(" --bottom {}", to_string(options.bottom));
  return cmd + " --history";
}

}  // namespace cohort::group
