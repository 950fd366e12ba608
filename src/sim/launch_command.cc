#include "launch_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace cohort::sim {

namespace {

double millis(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void print_run(const exec::LaunchScenarioResult& r, const exec::LaunchScenarioOptions& o) {
  fmt::print("seed {}: {} hosts, width {}, depth {}: ", r.seed, o.hosts, o.width, r.depth);
  if (r.finished) {
    fmt::print("every Ready in after {:.3f} ms simulated", millis(r.launch_time));
  } else {
    fmt::print("NOT finished");
  }
  fmt::print("; {} messages; {} started, {} failed", r.messages, r.started, r.failed);
  if (r.crashed > 0) {
    fmt::print("; {} crashed ({} before answering Ready), {} orphaned tasks", r.crashed, r.lost, r.orphans);
  }
  fmt::print("\n");
}

void print_failure(const exec::LaunchScenarioResult& r, const exec::LaunchScenarioOptions& o) {
  fmt::print("seed {} FAILED:\n", r.seed);
  for (const auto& v : r.violations) fmt::print("  {}\n", v);
  fmt::print("  reproduce with: {}\n", exec::launch_replay_command(r.seed, o));
}

}  // namespace

CLI::App* add_launch_command(CLI::App& app, LaunchArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "launch", "the tree launch of `cohort run`: simulated launch time, depth, messages; crashes checked against "
                "the failure rule (docs/exec.md)");
  cmd->option_defaults()->always_capture_default();
  auto* seed = cmd->add_option("--seed", a.seed, "Run one seed (replay)");
  auto* seeds = cmd->add_option("--seeds", a.count, "Run a sweep of this many seeds")->check(CLI::PositiveNumber);
  seed->excludes(seeds);
  cmd->add_option("--first", a.first, "First seed of a sweep")->needs(seeds);
  cmd->add_option("--hosts", a.options.hosts, "Hosts to launch on")->check(CLI::Range(1, 100000));
  cmd->add_option("--width", a.options.width, "Branches per daemon (1 is a chain; 2 or more is sensible)")
      ->check(CLI::Range(std::uint32_t{1}, exec::kMaxLaunchWidth));
  cmd->add_option("--crash-fraction", a.options.crash_fraction,
                  "Fraction of hosts that crash, half before the launch and half during it")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--latency-us", a.latency_us, "One-way message delay, uniform in [X, 2X] microseconds")
      ->check(CLI::Range(0, 10'000'000));
  cmd->add_option("--per-child-us", a.per_child_us, "A daemon's cost to connect to and ask one branch head")
      ->check(CLI::Range(0, 10'000'000));
  cmd->add_option("--spawn-us", a.spawn_us, "From a Launch arriving to the host's task running")
      ->check(CLI::Range(0, 10'000'000));
  cmd->add_flag("--trace", a.trace, "Print the simulator's event trace of a single seed")->needs(seed);
  return cmd;
}

int run_launch_command(LaunchArgs a) {
  a.options.latency = std::chrono::microseconds(a.latency_us);
  a.options.costs = {.per_child = std::chrono::microseconds(a.per_child_us),
                     .spawn = std::chrono::microseconds(a.spawn_us)};
  a.options.keep_trace = a.trace;
  bool sweep = a.count > 0;
  std::uint64_t first = sweep ? a.first : a.seed;
  std::uint64_t count = sweep ? a.count : 1;
  std::size_t failed = 0;
  Duration fastest = Duration::max(), slowest = Duration::zero();
  for (std::uint64_t s = first; s < first + count; ++s) {
    exec::LaunchScenarioResult r = exec::run_launch_scenario(s, a.options);
    std::fputs(r.trace.c_str(), stdout);
    if (!sweep) print_run(r, a.options);
    fastest = std::min(fastest, r.launch_time);
    slowest = std::max(slowest, r.launch_time);
    if (r.ok()) continue;
    ++failed;
    print_failure(r, a.options);
  }
  if (sweep) {
    fmt::print("{} hosts, width {}, depth {}: seeds {}..{}: {} runs, {} failed; launch time {:.3f}..{:.3f} ms "
               "simulated\n",
               a.options.hosts, a.options.width, exec::tree_depth(a.options.hosts, a.options.width), first,
               first + count - 1, count, failed, millis(fastest), millis(slowest));
  }
  fmt::print("  checked: the client finishes; started + failed = hosts; every Ready and the client's counts "
             "follow the failure rule; every host counted started ran its task once\n");
  return failed == 0 ? 0 : 1;
}

}  // namespace cohort::sim
