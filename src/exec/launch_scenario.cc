#include "cohort/exec/launch_scenario.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <numeric>
#include <optional>

#include <fmt/format.h>

#include "cohort/sim/simulator.h"

namespace cohort::exec {

namespace {

constexpr std::size_t kNoParent = std::numeric_limits<std::size_t>::max();
constexpr std::size_t kMaxReported = 10;

// parent[h]: the host whose Launch reaches h, kNoParent for the client's own branches.
std::vector<std::size_t> plan_parents(std::size_t n, std::size_t width) {
  std::vector<std::size_t> parent(n, kNoParent);
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), std::size_t{0});
  std::vector<std::pair<std::size_t, std::vector<std::size_t>>> work;
  work.emplace_back(kNoParent, std::move(all));
  while (!work.empty()) {
    auto [head, hosts] = std::move(work.back());
    work.pop_back();
    for (Branch& branch : plan_branches(hosts, width)) {
      parent[branch.head] = head;
      work.emplace_back(branch.head, std::move(branch.subtree));
    }
  }
  return parent;
}

struct Counts {
  std::uint32_t started = 0, failed = 0;
  bool operator==(const Counts&) const = default;
};

// What the failure rule predicts: each host's Ready (itself included) and the client's total.
struct Expected {
  std::vector<Counts> ready;
  Counts client;
  std::vector<bool> counted_failed;
};

Expected apply_failure_rule(const std::vector<std::size_t>& parent, const std::vector<bool>& lost) {
  std::size_t n = parent.size();
  Expected e{std::vector<Counts>(n, Counts{1, 0}), {}, std::vector<bool>(n, false)};
  for (std::size_t x = 0; x < n; ++x) {
    bool failed = lost[x];
    for (std::size_t a = parent[x]; a != kNoParent; a = parent[a]) {
      ++(failed ? e.ready[a].failed : e.ready[a].started);
      failed = failed || lost[a];
    }
    ++(failed ? e.client.failed : e.client.started);
    e.counted_failed[x] = failed;
  }
  return e;
}

// What the machines reported, read back from the simulator's history.
struct Observed {
  std::vector<std::size_t> tasks_started;
  std::vector<std::optional<Counts>> ready;
};

Observed read_history(const std::vector<sim::HistoryEntry>& history, std::size_t n) {
  Observed o{std::vector<std::size_t>(n, 0), std::vector<std::optional<Counts>>(n)};
  for (const auto& entry : history) {
    if (entry.node == kLaunchClient) continue;
    std::size_t host = entry.node - 1;
    Counts c;
    if (entry.record.starts_with("task started")) ++o.tasks_started[host];
    if (std::sscanf(entry.record.c_str(), "ready host=%*u started=%u failed=%u", &c.started, &c.failed) == 2) {
      o.ready[host] = c;
    }
  }
  return o;
}

class Scenario {
 public:
  Scenario(std::uint64_t seed, const LaunchScenarioOptions& options)
      : options_(options),
        level_timeout_(scenario_level_timeout(options)),
        sim_(seed, options.hosts + 1, [this](NodeId node, std::uint32_t, Rng) { return make_machine(node); }) {
    result_.seed = seed;
    result_.depth = tree_depth(options.hosts, options.width);
    result_.level_timeout = level_timeout_;
    sim_.keep_trace(options.keep_trace);
    sim_.network().set_default(sim::LinkProfile{.min_delay = options.latency, .max_delay = 2 * options.latency});
  }

  LaunchScenarioResult run() {
    sim_.start();
    schedule_crashes();
    sim_.run_until(TimePoint{} + liveness_bound());
    check();
    return std::move(result_);
  }

 private:
  std::unique_ptr<Machine> make_machine(NodeId node) {
    if (node != kLaunchClient) return std::make_unique<LaunchNode>(node, options_.costs);
    return std::make_unique<LaunchClient>(LaunchClientOptions{.hosts = options_.hosts,
                                                              .width = options_.width,
                                                              .level_timeout = level_timeout_,
                                                              .per_child = options_.costs.per_child});
  }

  std::size_t fan_out() const { return std::min(options_.width, options_.hosts); }

  // The client's last branch is sent after a full fan-out and given up at most
  // depth level timeouts later.
  Duration liveness_bound() const {
    auto depth = static_cast<Duration::rep>(result_.depth);
    return static_cast<Duration::rep>(fan_out()) * options_.costs.per_child + (depth + 1) * level_timeout_;
  }

  // An upper bound of a launch without crashes, so that crashes "during" it fall inside.
  Duration crash_window() const {
    auto depth = static_cast<Duration::rep>(result_.depth);
    auto per_level = static_cast<Duration::rep>(fan_out()) * options_.costs.per_child + 4 * options_.latency;
    return depth * per_level + options_.costs.spawn;
  }

  void schedule_crashes() {
    Rng& rng = sim_.rng();
    std::vector<std::size_t> hosts(options_.hosts);
    std::iota(hosts.begin(), hosts.end(), std::size_t{0});
    auto count = static_cast<std::size_t>(options_.crash_fraction * static_cast<double>(options_.hosts) + 0.5);
    crashed_.assign(options_.hosts, false);
    for (std::size_t i = 0; i < std::min(count, hosts.size()); ++i) {
      std::swap(hosts[i], hosts[i + rng.below(hosts.size() - i)]);
      NodeId node = launch_node(hosts[i]);
      crashed_[hosts[i]] = true;
      if (rng.chance(0.5)) {
        sim_.crash(node);
      } else {
        sim_.at(TimePoint{} + rng.duration_between(Duration::zero(), crash_window()), [this, node] { sim_.crash(node); });
      }
    }
    result_.crashed = std::min(count, hosts.size());
  }

  void violation(std::string what) {
    if (result_.violations.size() < kMaxReported) result_.violations.push_back(std::move(what));
  }

  void check() {
    auto* client = sim_.machine<LaunchClient>(kLaunchClient);
    result_.finished = client->finished();
    result_.started = client->started();
    result_.failed = client->failed();
    result_.launch_time = client->elapsed();
    result_.messages = sim_.stats().packets_sent;
    result_.trace = sim_.trace();
    if (!result_.finished) {
      violation(fmt::format("liveness: the client has not heard from every branch {} ms into the launch",
                            std::chrono::duration_cast<std::chrono::milliseconds>(liveness_bound()).count()));
      return;
    }
    Observed observed = read_history(sim_.history(), options_.hosts);
    std::vector<bool> lost(options_.hosts);
    for (std::size_t h = 0; h < options_.hosts; ++h) lost[h] = crashed_[h] && !observed.ready[h];
    result_.lost = static_cast<std::size_t>(std::count(lost.begin(), lost.end(), true));
    Expected expected = apply_failure_rule(plan_parents(options_.hosts, options_.width), lost);
    check_counts(expected, observed);
    check_tasks(expected, observed);
    if (result_.crashed == 0 && result_.messages != 2 * options_.hosts) {
      violation(fmt::format("{} messages without crashes; expected one Launch and one Ready per host ({})",
                            result_.messages, 2 * options_.hosts));
    }
  }

  void check_counts(const Expected& expected, const Observed& observed) {
    Counts client{result_.started, result_.failed};
    if (std::size_t{client.started} + client.failed != options_.hosts) {
      violation(fmt::format("the client counted {} started + {} failed of {} hosts", client.started, client.failed,
                            options_.hosts));
    }
    if (!(client == expected.client)) {
      violation(fmt::format("the client counted {} started, {} failed; the failure rule says {}, {}",
                            client.started, client.failed, expected.client.started, expected.client.failed));
    }
    for (std::size_t h = 0; h < options_.hosts; ++h) {
      const auto& got = observed.ready[h];
      if (got && !(*got == expected.ready[h])) {
        violation(fmt::format("host {} answered Ready {} started, {} failed; the failure rule says {}, {}", h,
                              got->started, got->failed, expected.ready[h].started, expected.ready[h].failed));
      }
    }
  }

  void check_tasks(const Expected& expected, const Observed& observed) {
    for (std::size_t h = 0; h < options_.hosts; ++h) {
      std::size_t runs = observed.tasks_started[h];
      if (runs > 1) violation(fmt::format("host {} started its task {} times", h, runs));
      if (!expected.counted_failed[h] && runs != 1) {
        violation(fmt::format("host {} is counted started but its task never started", h));
      }
      if (expected.counted_failed[h] && runs == 1) ++result_.orphans;
    }
  }

  LaunchScenarioOptions options_;
  Duration level_timeout_;
  LaunchScenarioResult result_;
  std::vector<bool> crashed_;
  sim::Simulator sim_;
};

}  // namespace

Duration scenario_level_timeout(const LaunchScenarioOptions& options) {
  auto fan_out = static_cast<Duration::rep>(std::min(options.width, options.hosts));
  Duration level = options.costs.spawn + fan_out * options.costs.per_child + 4 * options.latency;
  return std::max<Duration>(1ms, std::chrono::ceil<std::chrono::milliseconds>(2 * level));
}

LaunchScenarioResult run_launch_scenario(std::uint64_t seed, const LaunchScenarioOptions& options) {
  return Scenario(seed, options).run();
}

std::string launch_replay_command(std::uint64_t seed, const LaunchScenarioOptions& options) {
  auto us = [](Duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); };
  return fmt::format(
      "cohort-sim launch --hosts {} --width {} --crash-fraction {} --latency-us {} --per-child-us {} --spawn-us {} "
      "--seed {} --trace",
      options.hosts, options.width, options.crash_fraction, us(options.latency), us(options.costs.per_child),
      us(options.costs.spawn), seed);
}

}  // namespace cohort::exec
