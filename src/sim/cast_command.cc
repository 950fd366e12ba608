#include "cast_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace cohort::sim {

namespace {

double millis(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void print_run(const filecast::CastScenarioResult& r) {
  std::size_t exact = 0;
  for (const auto& rr : r.receivers) exact += rr.complete && rr.exact ? 1 : 0;
  fmt::print("seed {}: {} groups, {}/{} receivers byte-exact, completion {:.1f} ms simulated after a start wait of "
             "{:.1f} ms; {} packets sent ({} data, {} repair of which {} requested, {} stop); {:.3f} requests per "
             "group\n",
             r.seed, r.groups, exact, r.receivers.size(), millis(r.completion), millis(r.start_wait), r.packets_sent,
             r.sender.data_packets,
             r.sender.repair_packets, r.sender.requested_repair, r.sender.stop_packets, r.requests_per_group);
  for (const auto& rr : r.receivers) {
    if (!rr.error.empty()) fmt::print("  receiver {}: {}\n", rr.node, rr.error);
  }
}

}  // namespace

CLI::App* add_cast_command(CLI::App& app, CastArgs& a) {
  CLI::App* cmd = app.add_subcommand(
      "cast", "a filecast session: 1 sender and N receivers under loss; byte-exact files checked, completion time, "
              "packets and requests per group reported");
  cmd->option_defaults()->always_capture_default();
  filecast::CastScenarioOptions& o = a.options;
  auto* seed = cmd->add_option("--seed", a.seed, "Run one seed (replay)");
  auto* seeds = cmd->add_option("--seeds", a.count, "Run a sweep of this many seeds")->check(CLI::PositiveNumber);
  seed->excludes(seeds);
  cmd->add_option("--first", a.first, "First seed of a sweep")->needs(seeds);
  cmd->add_option("--receivers", o.receivers, "Receivers (nodes 1..N; node 0 sends)")->check(CLI::Range(1, 100000));
  cmd->add_option("--file-sizes", o.file_sizes, "Sizes in bytes of the files cast (random content)");
  cmd->add_option("-k", o.k, "Data blocks per group")->check(CLI::Range(1, 254));
  cmd->add_option("--block-size", o.block_size, "Bytes per block")->check(CLI::Range(1, 65000));
  cmd->add_option("--repair-channels", o.repair_channels, "Repair channels T")->check(CLI::Range(1, 1000));
  cmd->add_option("--expected-loss", o.expected_loss, "Loss the first proactive repair is sized for; negative: "
                                                      "adaptive from the receivers' reports");
  cmd->add_option("--rate", o.rate_bits_per_s, "Sender rate cap in bits/s (0: none)");
  cmd->add_option("--loss", o.loss, "Independent loss per packet and receiver")->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--burst-loss", o.burst_loss, "Average loss in Gilbert-Elliott bursts (0: none)")
      ->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--reorder", o.reorder, "Chance a packet is delayed past later ones")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--duplicate", o.duplicate, "Chance a packet arrives twice")->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--crash", o.crash_restart, "Receiver 1 crashes mid-transfer and restarts, resuming from its sink");
  cmd->add_option("--late-joiners", o.late_joiners, "Receivers that start halfway through the transfer");
  cmd->add_flag("--encrypt", o.encrypt, "Seal every datagram (XChaCha20-Poly1305)");
  cmd->add_flag("--holes", o.holes, "Every other 64 KiB of each file is zeros (stored without being sent)");
  cmd->add_option("--tamper", o.tamper, "Chance a sender multicast is followed by an altered copy")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--trace", a.trace, "Print the simulator's event trace of a single seed")->needs(seed);
  return cmd;
}

int run_cast_command(CastArgs a) {
  a.options.keep_trace = a.trace;
  const bool sweep = a.count > 0;
  const std::uint64_t first = sweep ? a.first : a.seed;
  const std::uint64_t count = sweep ? a.count : 1;
  std::size_t failed = 0;
  Duration fastest = Duration::max(), slowest = Duration::zero();
  double requests = 0;
  std::uint64_t packets = 0;
  for (std::uint64_t s = first; s < first + count; ++s) {
    filecast::CastScenarioResult r = filecast::run_cast_scenario(s, a.options);
    std::fputs(r.trace.c_str(), stdout);
    if (!sweep) print_run(r);
    fastest = std::min(fastest, r.completion);
    slowest = std::max(slowest, r.completion);
    requests += r.requests_per_group;
    packets += r.packets_sent;
    if (r.ok()) continue;
    ++failed;
    fmt::print("seed {} FAILED:\n", s);
    for (const auto& v : r.violations) fmt::print("  {}\n", v);
    fmt::print("  reproduce with: {}\n", filecast::cast_replay_command(s, a.options));
  }
  if (sweep) {
    fmt::print("{} receivers: seeds {}..{}: {} runs, {} failed; completion {:.1f}..{:.1f} ms simulated; "
               "{:.3f} requests per group and {} packets per run on average\n",
               a.options.receivers, first, first + count - 1, count, failed, millis(fastest), millis(slowest),
               requests / static_cast<double>(count), packets / count);
  }
  fmt::print("  checked: every receiver ends byte-exact or with an error, never done with wrong bytes; the sender "
             "finishes\n");
  return failed == 0 ? 0 : 1;
}

}  // namespace cohort::sim
