// Hosts GroupMachines with a recording app in the simulator, for the group
// layer tests: a static view of nodes 0..n-1 and a stack named by string.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "cohort/group/group_machine.h"
#include "cohort/sim/simulator.h"

namespace cohort::group::testing {

// Records what the application saw; payloads by size and hash, so 64 MiB
// messages cost nothing to keep.
class RecordingApp final : public GroupApp {
 public:
  struct Delivery {
    NodeId from;
    Msg::Kind kind;
    std::size_t size;
    std::uint64_t hash;
  };
  void on_view(const View&, Actions&) override { ++views; }
  void on_deliver(const Endpoint& from, const Msg& msg, Actions& out) override {
    deliveries.push_back(Delivery{from.node, msg.kind, msg.payload.size(), hash(msg.payload)});
    out.output(fmt::format("deliver from={} size={}", from.node, msg.payload.size()));
  }
  void on_flow(bool can_send, Actions&) override { flow.push_back(can_send); }
  void on_suspect(const std::vector<Rank>& ranks, Actions& out) override {
    out.output(fmt::format("suspect {}", fmt::join(ranks, ",")));
  }
  static std::uint64_t hash(const Buffer& b) { return fnv1a64(b.data(), b.size()); }

  int views = 0;
  std::vector<Delivery> deliveries;
  std::vector<bool> flow;
};

inline sim::Simulator group_sim(std::uint64_t seed, std::size_t nodes, const std::string& stack) {
  std::vector<Endpoint> members;
  for (NodeId n = 0; n < nodes; ++n) members.push_back(Endpoint{n, 0});
  return sim::Simulator(seed, nodes, [members, stack](NodeId node, std::uint32_t inc, Rng rng) {
    auto m = GroupMachine::create(Endpoint{node, inc}, GroupConfig{stack, members, {}}, rng,
                                  std::make_unique<RecordingApp>());
    if (!m) std::abort();  // a test's stack string is wrong
    return std::unique_ptr<Machine>(std::move(m).value());
  });
}

inline GroupMachine& machine(sim::Simulator& sim, NodeId n) { return *sim.machine<GroupMachine>(n); }
inline RecordingApp& app(sim::Simulator& sim, NodeId n) {
  return static_cast<RecordingApp&>(machine(sim, n).app());
}

// Links with one fixed delay: no reordering, as a FIFO layer below would give.
inline sim::LinkProfile fifo_links() {
  return sim::LinkProfile{.min_delay = std::chrono::milliseconds(1),
                          .max_delay = std::chrono::milliseconds(1)};
}

inline Buffer pattern(std::size_t size, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::uint8_t> bytes(size);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng.next());
  return Buffer(std::move(bytes));
}

inline TimePoint at_ms(std::int64_t ms) { return TimePoint{} + std::chrono::milliseconds(ms); }

// History records of `node` starting with `prefix`, with their times.
inline std::vector<sim::HistoryEntry> records(const sim::Simulator& sim, NodeId node,
                                              const std::string& prefix) {
  std::vector<sim::HistoryEntry> out;
  for (const auto& e : sim.history()) {
    if (e.node == node && e.record.rfind(prefix, 0) == 0) out.push_back(e);
  }
  return out;
}

}  // namespace cohort::group::testing
