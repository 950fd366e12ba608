// cohort-group-bench: one member of a benchmark group on a real network (see
// bench_app.h for the modes and bench/group/README.md for how compare.sh
// runs three of them side by side with Corosync's CPG).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>

#include "bench_app.h"
#include "cohort/group/peers.h"

namespace {

using cohort::Duration;
namespace group = cohort::group;
namespace bench = cohort::bench;

struct Args {
  bench::BenchOptions bench;
  group::NodeOptions node;
  std::string peers;
  int timeout_s = 60;
  int heartbeat_ms = 100, suspect_timeout_ms = 1000, probe_timeout_ms = 300;
  std::uint64_t window = 64, ack_every = 16;
  std::size_t batch_bytes = 1300;
  int batch_delay_us = 1000, order_delay_us = 0;
  int nak_delay_us = 10000, repair_tick_us = 10000;
  std::size_t max_out_of_order = 1024;
  int socket_buffer_bytes = 4 << 20;
};

void add_options(CLI::App& cli, Args& a) {
  std::map<std::string, bench::BenchMode> modes{
      {"tput", bench::BenchMode::tput}, {"lat", bench::BenchMode::lat}, {"watch", bench::BenchMode::watch}};
  cli.add_option("--mode", a.bench.mode, "tput | lat | watch")->transform(CLI::CheckedTransformer(modes));
  cli.add_option("--id", a.node.id, "this member's node id (in --peers)")->required();
  cli.add_option("--peers", a.peers, "ID=HOST:PORT,... of every member (or a file of them)")->required();
  cli.add_option("--group", a.node.group, "group name")->capture_default_str();
  cli.add_option("--stack", a.node.stack, "layers, top to bottom")->capture_default_str();
  cli.add_option("--members", a.bench.members, "start once a view has this many members")->capture_default_str();
  cli.add_option("--senders", a.bench.senders, "tput: how many members send")->capture_default_str();
  cli.add_flag("--leader", a.bench.leader, "cast START (and the pings in lat mode)");
  cli.add_flag("--send", a.bench.send, "tput: this member sends");
  cli.add_option("--size", a.bench.size, "bytes per message")->capture_default_str();
  cli.add_option("--seconds", a.bench.seconds, "tput: sending time; watch: watching time")->capture_default_str();
  cli.add_option("--count", a.bench.count, "lat: round trips")->capture_default_str();
  cli.add_option("--gap-ms", a.bench.gap_ms, "lat: idle time between round trips")->capture_default_str();
  cli.add_option("--burst", a.bench.burst, "tput: casts per turn of the loop")->capture_default_str();
  cli.add_option("--timeout", a.timeout_s, "give up after this many seconds (exit 5)")->capture_default_str();
  cli.add_option("--heartbeat-ms", a.heartbeat_ms, "suspect: heartbeat interval")->capture_default_str();
  cli.add_option("--suspect-timeout-ms", a.suspect_timeout_ms, "suspect: silence before probing")->capture_default_str();
  cli.add_option("--probe-timeout-ms", a.probe_timeout_ms, "suspect: probing before suspicion")->capture_default_str();
  cli.add_option("--window", a.window, "flow: casts in flight per member")->capture_default_str();
  cli.add_option("--ack-every", a.ack_every, "flow: acknowledge after this many casts")->capture_default_str();
  cli.add_option("--batch-bytes", a.batch_bytes, "batch: payload bytes of a packed message")->capture_default_str();
  cli.add_option("--batch-delay-us", a.batch_delay_us, "batch: longest an item waits")->capture_default_str();
  cli.add_option("--order-delay-us", a.order_delay_us, "total: sequencer gathering time")->capture_default_str();
  cli.add_option("--nak-delay-us", a.nak_delay_us, "mnak: first NAK delay and back-off base")->capture_default_str();
  cli.add_option("--repair-tick-us", a.repair_tick_us, "mnak: how often gaps are looked at")->capture_default_str();
  cli.add_option("--max-out-of-order", a.max_out_of_order, "mnak: casts buffered beyond gaps")->capture_default_str();
  cli.add_option("--socket-buffer-bytes", a.socket_buffer_bytes, "SO_SNDBUF/SO_RCVBUF (0: system default)")
      ->capture_default_str();
}

void apply_layer_options(Args& a) {
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  group::LayerOptions& l = a.node.layers;
  l.suspect = {milliseconds(a.heartbeat_ms), milliseconds(a.suspect_timeout_ms), milliseconds(a.probe_timeout_ms)};
  l.flow.window = a.window;
  l.flow.ack_every = a.ack_every;
  l.batch.max_batch_bytes = a.batch_bytes;
  l.batch.max_delay = microseconds(a.batch_delay_us);
  l.total.order_delay = microseconds(a.order_delay_us);
  l.mnak.nak_delay = microseconds(a.nak_delay_us);
  l.mnak.repair_tick = microseconds(a.repair_tick_us);
  l.mnak.max_out_of_order = a.max_out_of_order;
  a.node.udp.send_buffer_bytes = a.socket_buffer_bytes;
  a.node.udp.receive_buffer_bytes = a.socket_buffer_bytes;
}

int fail(const cohort::Error& error) {
  std::cerr << "cohort-group-bench: " << error.to_string() << "\n";
  return 1;
}

int run(Args& a) {
  auto peers = group::load_peers(a.peers);
  if (!peers) return fail(peers.error());
  a.node.peers = std::move(peers).value();
  apply_layer_options(a);
  auto loop = cohort::EventLoop::create();
  if (!loop) return fail(loop.error());
  auto app = std::make_unique<bench::BenchApp>(**loop, a.bench);
  bench::BenchApp* bench_app = app.get();
  auto node = group::GroupNode::create(**loop, a.node, std::move(app));
  if (!node) return fail(node.error());
  int status = 0;
  bench_app->attach(**node, [&](int code) {
    status = code;
    (*loop)->stop();
  });
  std::printf("STACK id=%u stack=%s header_bytes=%zu\n", a.node.id, a.node.stack.c_str(),
              (*node)->machine().stack().wire_header_bytes());
  std::fflush(stdout);
  if (auto s = (*node)->leave_on_signals([&] { (*loop)->stop(); }); !s) return fail(s.error());
  bool watch = a.bench.mode == bench::BenchMode::watch;
  Duration limit = watch ? std::chrono::duration_cast<Duration>(std::chrono::duration<double>(a.bench.seconds))
                         : Duration(std::chrono::seconds(a.timeout_s));
  (*loop)->add_timer(limit, [&] {
    if (!watch) {
      bench_app->report_progress();
      std::cerr << "cohort-group-bench: timed out after " << a.timeout_s << " s\n";
    }
    status = watch ? 0 : 5;
    (*loop)->stop();
  });
  (*node)->start();
  if (auto s = (*loop)->run(); !s) return fail(s.error());
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"cohort-group-bench: one member of a group benchmark (tput, lat, watch); results are key=value lines"};
  Args args;
  add_options(cli, args);
  CLI11_PARSE(cli, argc, argv);
  return run(args);
}
