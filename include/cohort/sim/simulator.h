// The deterministic simulator: N nodes, each hosting an I/O-free Machine
// through the same event/action interface the real driver uses, on a
// simulated network and a virtual clock. One seed fixes everything: network
// fates, node randomness and (through rng()) the scenario's choices, so the
// same seed gives the same history and the same trace, byte for byte.
//
// Single-threaded; events at equal times run in the order they were scheduled.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cohort/core/machine.h"
#include "cohort/core/rng.h"
#include "cohort/sim/network.h"

namespace cohort::sim {

// One OutputAction as the simulator saw it.
struct HistoryEntry {
  TimePoint time;
  NodeId node;
  std::uint32_t incarnation;
  std::string record;
};

struct SimStats {
  std::uint64_t packets_sent = 0;       // unicasts and multicasts, one each
  std::uint64_t multicasts_sent = 0;    // of those, multicasts
  // Per copy: a multicast makes one copy per receiver.
  std::uint64_t packets_delivered = 0;
  std::uint64_t packets_lost = 0;       // by the link's loss
  std::uint64_t packets_blocked = 0;    // by a partition
  std::uint64_t packets_duplicated = 0;
  std::uint64_t packets_to_down_nodes = 0;
  std::uint64_t packets_after_leave = 0;  // multicast copies arriving after the receiver left
  std::uint64_t timers_fired = 0;
  std::uint64_t crashes = 0;
  std::uint64_t restarts = 0;
  std::uint64_t events = 0;
};

class Simulator {
 public:
  // Makes the machine for `node`'s `incarnation` (0 at first, +1 per restart).
  using Factory = std::function<std::unique_ptr<Machine>(NodeId node, std::uint32_t incarnation, Rng rng)>;

  Simulator(std::uint64_t seed, std::size_t node_count, Factory factory);

  // Keeps the full text trace (not only its hash); for replaying a seed.
  void keep_trace(bool keep) { keep_trace_ = keep; }
  // Adds a scenario's line (a fault it injected) to the trace.
  void annotate(const std::string& what) { note("scenario", 0, what); }

  Network& network() { return network_; }
  // The scenario's own generator, derived from the seed.
  Rng& rng() { return scenario_rng_; }
  std::size_t node_count() const { return nodes_.size(); }
  TimePoint now() const { return now_; }

  // Starts every node at the current time, except those in `later`.
  void start(const std::vector<NodeId>& later = {});
  // Starts a node held back by start(); nothing if it has run already
  // (restart() may have started it first).
  void start_node(NodeId node);
  void crash(NodeId node);
  void restart(NodeId node);
  bool is_up(NodeId node) const { return nodes_[node].machine != nullptr; }
  // Whether a live node's machine has joined `channel`; a crash leaves all.
  bool joined(NodeId node, ChannelId channel) const { return nodes_[node].channels.count(channel) != 0; }
  std::uint32_t incarnation(NodeId node) const { return nodes_[node].incarnation; }

  // Schedules a scenario step at an absolute virtual time.
  void at(TimePoint when, std::function<void()> step);
  // Calls into a live node's machine now and applies what it asked for.
  // Returns false (and does nothing) if the node is down.
  template <typename M, typename F>
  bool call(NodeId node, F&& f) {
    Machine* m = nodes_[node].machine.get();
    if (m == nullptr) return false;
    Actions actions;
    f(static_cast<M&>(*m), now_, actions);
    note("call", node, {});
    apply(node, actions);
    return true;
  }
  template <typename M>
  M* machine(NodeId node) {
    return static_cast<M*>(nodes_[node].machine.get());
  }

  // Runs events up to and including `until`; the clock ends at `until`.
  void run_until(TimePoint until);
  // True if no event is pending (nothing in flight, no timer armed).
  bool idle() const { return queue_.empty(); }

  const std::vector<HistoryEntry>& history() const { return history_; }
  std::uint64_t trace_hash() const { return trace_hash_; }
  const std::string& trace() const { return trace_; }
  const SimStats& stats() const { return stats_; }

 private:
  struct Node {
    std::unique_ptr<Machine> machine;
    std::uint32_t incarnation = 0;
    bool booted = false;
    std::unordered_map<TimerKey, std::uint64_t> timer_generation;
    std::set<ChannelId> channels;
  };
  struct Event {
    TimePoint time;
    std::uint64_t order;
    std::function<void()> run;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.order > b.order;
    }
  };

  void schedule(TimePoint when, std::function<void()> run);
  void boot(NodeId node);
  void apply(NodeId node, Actions& actions);
  void transmit(NodeId from, const SendAction& send);
  void multicast(NodeId from, const MulticastAction& cast);
  // One copy of a datagram over the link from -> to, through the fault model.
  // A multicast copy (channel set) is received only if `to` is still joined.
  void carry(NodeId from, NodeId to, const Buffer& bytes, std::uint64_t digest, std::optional<ChannelId> channel);
  void arm_timer(NodeId node, const SetTimerAction& timer);
  void note(const char* what, NodeId node, const std::string& detail);

  Factory factory_;
  std::uint64_t seed_;
  Network network_;
  Rng network_rng_;
  Rng scenario_rng_;
  std::vector<Node> nodes_;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  std::uint64_t next_order_ = 0;
  std::uint64_t next_timer_generation_ = 1;
  TimePoint now_{};
  std::vector<HistoryEntry> history_;
  bool keep_trace_ = false;
  std::string trace_;
  std::uint64_t trace_hash_ = fnv1a64(nullptr, 0);
  SimStats stats_;
};

}  // namespace cohort::sim
