// Runs the simulator's reliable-broadcast protocol unchanged on real UDP
// sockets on loopback: the same Machine, bound by UdpMachineDriver instead of
// the simulator. Every node broadcasts, and the recorded history is checked
// with the same checker the simulator uses.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cohort/core/event_loop.h"
#include "cohort/sim/rbcast_checker.h"
#include "cohort/sim/reliable_broadcast.h"
#include "cohort/transport/udp_driver.h"

namespace {

using cohort::sim::ReliableBroadcast;

struct Node {
  std::unique_ptr<ReliableBroadcast> machine;
  std::unique_ptr<cohort::UdpMachineDriver> driver;
};

cohort::Result<std::vector<Node>> make_nodes(cohort::EventLoop& loop, std::size_t count,
                                             std::vector<cohort::sim::HistoryEntry>& history) {
  std::vector<cohort::UdpSocket> sockets;
  std::vector<cohort::Address> addresses;
  for (std::size_t i = 0; i < count; ++i) {
    auto socket = cohort::UdpSocket::bind(cohort::Address::ipv4_loopback(0));
    if (!socket) return socket.error();
    auto address = socket->local_address();
    if (!address) return address.error();
    addresses.push_back(*address);
    sockets.push_back(std::move(socket).value());
  }
  std::vector<Node> nodes(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto id = static_cast<cohort::NodeId>(i);
    nodes[i].machine = std::make_unique<ReliableBroadcast>(id, 0, count, ReliableBroadcast::Options{});
    auto driver = cohort::UdpMachineDriver::create(loop, std::move(sockets[i]), *nodes[i].machine);
    if (!driver) return driver.error();
    nodes[i].driver = std::move(driver).value();
    for (std::size_t p = 0; p < count; ++p) {
      if (p == i) continue;
      if (auto s = nodes[i].driver->add_peer(static_cast<cohort::NodeId>(p), addresses[p]); !s) return s.error();
    }
    nodes[i].driver->on_output([&history, &loop, id](const std::string& record) {
      history.push_back(cohort::sim::HistoryEntry{loop.now(), id, 0, record});
    });
  }
  return nodes;
}

bool quiescent(const std::vector<Node>& nodes) {
  for (const Node& n : nodes) {
    if (n.machine->unacknowledged() != 0) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort-rbcast-udp: the reliable-broadcast protocol on real UDP sockets on loopback"};
  std::size_t node_count = 4;
  int messages = 20;
  app.add_option("--nodes", node_count, "Number of nodes")->check(CLI::Range(2, 64));
  app.add_option("--messages", messages, "Broadcasts per node")->check(CLI::Range(1, 10000));
  CLI11_PARSE(app, argc, argv);

  auto loop = cohort::EventLoop::create();
  if (!loop) {
    fmt::print(stderr, "error: {}\n", loop.error().to_string());
    return 1;
  }
  std::vector<cohort::sim::HistoryEntry> history;
  auto nodes = make_nodes(**loop, node_count, history);
  if (!nodes) {
    fmt::print(stderr, "error: cannot set up the nodes: {}\n", nodes.error().to_string());
    return 1;
  }
  for (Node& n : *nodes) n.driver->start();
  for (int m = 0; m < messages; ++m) {
    for (std::size_t i = 0; i < node_count; ++i) {
      (*loop)->add_timer(std::chrono::milliseconds(2 * m), [&, i, m] {
        (*nodes)[i].driver->call([&](cohort::TimePoint now, cohort::Actions& out) {
          (*nodes)[i].machine->broadcast(now, cohort::Buffer::copy_of(fmt::format("n{} m{}", i, m)), out);
        });
      });
    }
  }
  std::function<void()> poll = [&] {
    if (history.size() >= static_cast<std::size_t>(messages) * node_count * (node_count + 1) && quiescent(*nodes)) {
      (*loop)->stop();
    } else {
      (*loop)->add_timer(std::chrono::milliseconds(10), poll);
    }
  };
  (*loop)->add_timer(std::chrono::milliseconds(10), poll);
  if (auto s = (*loop)->run_for(std::chrono::seconds(20)); !s) {
    fmt::print(stderr, "error: event loop: {}\n", s.error().to_string());
    return 1;
  }

  std::vector<cohort::sim::Process> everyone;
  for (std::size_t i = 0; i < node_count; ++i) everyone.push_back({static_cast<cohort::NodeId>(i), 0});
  cohort::sim::RbcastCheck check = cohort::sim::check_rbcast_history(history, everyone);
  if (!quiescent(*nodes)) check.violations.push_back("liveness: messages still unacknowledged after 20 s");
  fmt::print("{} nodes on 127.0.0.1 (UDP), {} broadcasts, {} deliveries\n", node_count, check.broadcasts,
             check.deliveries);
  for (const auto& v : check.violations) fmt::print("  violation: {}\n", v);
  fmt::print("{}\n", check.ok() ? "all properties hold on real sockets" : "FAILED");
  return check.ok() ? 0 : 1;
}
