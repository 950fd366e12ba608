// cohort-sim: runs protocols in the deterministic simulator. `rbcast` runs
// the reliable-broadcast proof protocol over one seed (with its trace, for
// replaying a failure) or a sweep of seeds, and checks every history; `group`
// does the same for a group stack, `launch` for the tree launch of `cohort run`,
// `cast` for a filecast session.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>

#include "cohort/group/scenario.h"
#include "cohort/sim/rbcast_scenario.h"
#include "cast_command.h"
#include "launch_command.h"

namespace {

using cohort::sim::ReliableBroadcast;
using cohort::sim::ScenarioOptions;
using cohort::sim::ScenarioResult;

struct Totals {
  std::size_t seeds = 0, failed = 0, broadcasts = 0, deliveries = 0;
  std::uint64_t packets = 0, lost = 0, blocked = 0, duplicated = 0;
  cohort::sim::FaultCounts faults;

  void add(const ScenarioResult& r) {
    ++seeds;
    failed += r.ok() ? 0u : 1u;
    broadcasts += r.broadcasts;
    deliveries += r.deliveries;
    packets += r.stats.packets_sent;
    lost += r.stats.packets_lost;
    blocked += r.stats.packets_blocked;
    duplicated += r.stats.packets_duplicated;
    faults.partitions += r.faults.partitions;
    faults.one_way_blocks += r.faults.one_way_blocks;
    faults.heals += r.faults.heals;
    faults.crashes += r.faults.crashes;
    faults.restarts += r.faults.restarts;
    faults.link_changes += r.faults.link_changes;
  }
};

void print_failure(const ScenarioResult& r) {
  fmt::print("seed {} FAILED ({} nodes):\n", r.seed, r.nodes);
  for (const auto& v : r.violations) fmt::print("  {}\n", v);
  fmt::print("  reproduce with: {}\n", cohort::sim::replay_command(r.seed));
}

void print_totals(const Totals& t, std::uint64_t first) {
  fmt::print("seeds {}..{}: {} runs, {} failed\n", first, first + t.seeds - 1, t.seeds, t.failed);
  fmt::print("  workload : {} broadcasts, {} deliveries checked\n", t.broadcasts, t.deliveries);
  fmt::print("  network  : {} packets sent, {} lost, {} blocked by partitions, {} duplicated\n", t.packets,
             t.lost, t.blocked, t.duplicated);
  fmt::print("  faults   : {} partitions, {} one-way link failures, {} heals, {} crashes, {} restarts, "
             "{} link profile changes\n",
             t.faults.partitions, t.faults.one_way_blocks, t.faults.heals, t.faults.crashes, t.faults.restarts,
             t.faults.link_changes);
  fmt::print("  checked  : integrity, no duplicates, FIFO per origin, self-delivery, agreement and validity "
             "among survivors, quiescence within the liveness bound\n");
}

int run_single(std::uint64_t seed, ScenarioOptions options, bool trace) {
  options.keep_trace = trace;
  ScenarioResult r = cohort::sim::run_rbcast_scenario(seed, options);
  if (trace) std::fputs(r.trace.c_str(), stdout);
  fmt::print("seed {}: {} nodes, {} broadcasts, {} deliveries, trace hash {:016x}\n", seed, r.nodes,
             r.broadcasts, r.deliveries, r.trace_hash);
  if (!r.ok()) {
    print_failure(r);
    return 1;
  }
  fmt::print("seed {}: all properties hold\n", seed);
  return 0;
}

int run_sweep(std::uint64_t first, std::uint64_t count, const ScenarioOptions& options) {
  Totals totals;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    ScenarioResult r = cohort::sim::run_rbcast_scenario(seed, options);
    totals.add(r);
    if (!r.ok()) print_failure(r);
  }
  print_totals(totals, first);
  return totals.failed == 0 ? 0 : 1;
}

struct GroupArgs {
  std::uint64_t seed = 0, first = 0, count = 0;
  bool history = false, trace = false, no_faults = false;
  std::string bottom = "fanout";
  cohort::group::GroupScenarioOptions options;
};

int run_group(const GroupArgs& args, bool sweep) {
  std::uint64_t first = sweep ? args.first : args.seed;
  std::uint64_t count = sweep ? args.count : 1;
  cohort::group::GroupScenarioOptions options = args.options;
  options.faults = !args.no_faults;
  options.keep_history = args.history;
  options.bottom = cohort::group::parse_bottom_mode(args.bottom).value();  // CLI11 checked the name
  options.keep_trace = args.trace;
  std::uint64_t packets = 0;
  std::size_t failed = 0, casts = 0, deliveries = 0, views = 0;
  int crashes = 0, partitions = 0, one_way = 0, sequencer = 0, in_view_change = 0, late_joins = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    auto r = cohort::group::run_group_scenario(seed, options);
    std::fputs(r.trace.c_str(), stdout);
    for (const auto& line : r.history) fmt::print("{}\n", line);
    casts += r.check.casts;
    deliveries += r.check.deliveries;
    views += r.check.views;
    crashes += r.crashes;
    partitions += r.partitions;
    one_way += r.one_way;
    packets += r.packets;
    sequencer += r.sequencer_crashes;
    in_view_change += r.view_change_crashes;
    late_joins += r.late_joins;
    if (r.ok()) continue;
    ++failed;
    fmt::print("seed {} FAILED ({} nodes):\n", seed, r.nodes);
    for (const auto& v : r.violations) fmt::print("  {}\n", v);
    fmt::print("  reproduce with: {}\n", cohort::group::group_replay_command(seed, options));
  }
  fmt::print("stack {} ({} bottom): seeds {}..{}: {} runs, {} failed\n", options.stack, args.bottom, first,
             first + count - 1, count, failed);
  fmt::print("  {} datagrams sent\n", packets);
  fmt::print("  {} casts, {} deliveries, {} views checked; {} crashes ({} of the sequencer, {} during a view "
             "change), {} partitions, {} one-way link failures, {} late joins\n",
             casts, deliveries, views, crashes, sequencer, in_view_change, partitions, one_way, late_joins);
  fmt::print("  checked: view agreement and order, primary chain, virtual synchrony, integrity, no duplicates, "
             "FIFO, self-delivery, {}state transfer, liveness\n", options.total_order ? "total order, " : "");
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort-sim: run cohort protocols in the deterministic simulator and check their histories"};
  app.require_subcommand(1);

  CLI::App* rb = app.add_subcommand("rbcast", "FIFO reliable broadcast under loss, partitions and crashes");
  std::uint64_t seed = 0, first = 0, count = 0;
  bool trace = false, no_faults = false;
  std::string bug = "none";
  ScenarioOptions options;
  auto* seed_opt = rb->add_option("--seed", seed, "Run one seed (replay)");
  auto* seeds_opt = rb->add_option("--seeds", count, "Run a sweep of this many seeds")->check(CLI::PositiveNumber);
  seed_opt->excludes(seeds_opt);
  rb->add_option("--first", first, "First seed of a sweep")->needs(seeds_opt);
  rb->add_flag("--trace", trace, "Print the full event trace of a single seed")->needs(seed_opt);
  rb->add_flag("--no-faults", no_faults, "Run without network faults or crashes");
  rb->add_option("--min-nodes", options.min_nodes, "Fewest nodes in a run")->check(CLI::Range(2, 64));
  rb->add_option("--max-nodes", options.max_nodes, "Most nodes in a run")->check(CLI::Range(2, 64));
  rb->add_option("--messages", options.messages_per_node, "Broadcasts per node")->check(CLI::Range(0, 10000));
  rb->add_option("--bug", bug, "Inject a protocol bug to see the checker catch it")
      ->check(CLI::IsMember({"none", "no-retransmit", "unordered"}));

  CLI::App* grp = app.add_subcommand("group", "a group stack under partitions, crashes and joins; histories checked");
  GroupArgs g;
  auto* gseed = grp->add_option("--seed", g.seed, "Run one seed (replay)");
  auto* gseeds = grp->add_option("--seeds", g.count, "Run a sweep of this many seeds")->check(CLI::PositiveNumber);
  gseed->excludes(gseeds);
  grp->add_option("--first", g.first, "First seed of a sweep")->needs(gseeds);
  grp->add_option("--stack", g.options.stack, "Layers, top to bottom, or a property spec \"props:vsync:total:...\"");
  grp->add_option("--max-loss", g.options.max_loss, "Highest link loss (stacks with reliable layers)")->check(CLI::Range(0.0, 0.5));
  grp->add_flag("--reorder", g.options.reorder, "Reorder and duplicate packets (stacks with reliable layers)");
  grp->add_flag("--no-total", [&](std::int64_t) { g.options.total_order = false; }, "Do not check total order");
  grp->add_flag("--no-faults", g.no_faults, "No partitions or crashes");
  grp->add_option("--bottom", g.bottom, "How casts travel: unicast fan-out or one multicast per cast")
      ->check(CLI::IsMember({"fanout", "multicast"}));
  grp->add_flag("--no-partitions", [&](std::int64_t) { g.options.partitions = false; },
                "Crashes, restarts and joins but no partitions or one-way link failures (which lose datagrams: "
                "for stacks without a reliable layer)");
  grp->add_flag("--history", g.history, "Print every member's history (JSON lines) of a single seed")->needs(gseed);
  grp->add_flag("--trace", g.trace, "Print the simulator's event trace (faults, packets, timers, outputs) of a single seed")
      ->needs(gseed);

  cohort::sim::LaunchArgs launch;
  CLI::App* launch_cmd = cohort::sim::add_launch_command(app, launch);

  cohort::sim::CastArgs cast;
  CLI::App* cast_cmd = cohort::sim::add_cast_command(app, cast);

  CLI11_PARSE(app, argc, argv);
  if (*cast_cmd) return cohort::sim::run_cast_command(cast);
  if (*launch_cmd) return cohort::sim::run_launch_command(launch);
  if (*grp) return run_group(g, static_cast<bool>(*gseeds));
  if (options.min_nodes > options.max_nodes) {
    fmt::print(stderr, "error: --min-nodes ({}) is larger than --max-nodes ({})\n", options.min_nodes,
               options.max_nodes);
    return 2;
  }
  options.faults = !no_faults;
  if (bug == "no-retransmit") options.bug = ReliableBroadcast::Bug::no_retransmit;
  if (bug == "unordered") options.bug = ReliableBroadcast::Bug::unordered_delivery;
  if (*seeds_opt) return run_sweep(first, count, options);
  return run_single(seed, options, trace);
}
