#include "cohort/sim/simulator.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

namespace cohort::sim {

namespace {
constexpr std::uint64_t kNetworkStream = 1;
constexpr std::uint64_t kScenarioStream = 2;
constexpr std::uint64_t kNodeStreamBase = 1000;
}  // namespace

Simulator::Simulator(std::uint64_t seed, std::size_t node_count, Factory factory)
    : factory_(std::move(factory)),
      seed_(seed),
      network_rng_(seed, kNetworkStream),
      scenario_rng_(seed, kScenarioStream),
      nodes_(node_count) {}

void Simulator::note(const char* what, NodeId node, const std::string& detail) {
  std::string line = fmt::format("{} n{} {} {}\n", now_.time_since_epoch().count(), node, what, detail);
  trace_hash_ = fnv1a64(line.data(), line.size(), trace_hash_);
  if (keep_trace_) trace_ += line;
}

void Simulator::schedule(TimePoint when, std::function<void()> run) {
  assert(when >= now_);
  queue_.push(Event{when, next_order_++, std::move(run)});
}

void Simulator::at(TimePoint when, std::function<void()> step) { schedule(when, std::move(step)); }

void Simulator::start(const std::vector<NodeId>& later) {
  for (NodeId n = 0; n < nodes_.size(); ++n) {
    if (std::find(later.begin(), later.end(), n) == later.end()) boot(n);
  }
}

void Simulator::start_node(NodeId node) {
  if (!nodes_[node].booted) boot(node);
}

void Simulator::boot(NodeId node) {
  Node& n = nodes_[node];
  n.booted = true;
  Rng rng(seed_, kNodeStreamBase + node * 1'000'003ULL + n.incarnation);
  n.machine = factory_(node, n.incarnation, rng);
  note("start", node, fmt::format("inc={}", n.incarnation));
  Actions actions;
  n.machine->start(now_, actions);
  apply(node, actions);
}

void Simulator::crash(NodeId node) {
  Node& n = nodes_[node];
  if (n.machine == nullptr) return;
  n.machine.reset();
  n.timer_generation.clear();  // pending timer events find no match and are ignored
  n.channels.clear();          // as a dead process's sockets leave their groups
  ++stats_.crashes;
  note("crash", node, {});
}

void Simulator::restart(NodeId node) {
  Node& n = nodes_[node];
  if (n.machine != nullptr) return;
  ++n.incarnation;
  ++stats_.restarts;
  boot(node);
}

void Simulator::apply(NodeId node, Actions& actions) {
  for (Action& action : actions.take()) {
    if (auto* send = std::get_if<SendAction>(&action)) {
      transmit(node, *send);
    } else if (auto* cast = std::get_if<MulticastAction>(&action)) {
      multicast(node, *cast);
    } else if (auto* join = std::get_if<JoinChannelAction>(&action)) {
      nodes_[node].channels.insert(join->channel);
    } else if (auto* leave = std::get_if<LeaveChannelAction>(&action)) {
      nodes_[node].channels.erase(leave->channel);
    } else if (auto* timer = std::get_if<SetTimerAction>(&action)) {
      arm_timer(node, *timer);
    } else if (auto* cancel = std::get_if<CancelTimerAction>(&action)) {
      nodes_[node].timer_generation.erase(cancel->key);
    } else if (auto* output = std::get_if<OutputAction>(&action)) {
      note("out", node, output->record);
      history_.push_back(HistoryEntry{now_, node, nodes_[node].incarnation, std::move(output->record)});
    }
  }
}

void Simulator::transmit(NodeId from, const SendAction& send) {
  ++stats_.packets_sent;
  std::uint64_t digest = fnv1a64(send.bytes.data(), send.bytes.size());
  note("send", from, fmt::format("to={} len={} h={:016x}", send.to, send.bytes.size(), digest));
  if (send.to >= nodes_.size()) return;
  carry(from, send.to, send.bytes, digest, std::nullopt);
}

void Simulator::multicast(NodeId from, const MulticastAction& cast) {
  ++stats_.packets_sent;
  ++stats_.multicasts_sent;
  std::uint64_t digest = fnv1a64(cast.bytes.data(), cast.bytes.size());
  note("mcast", from, fmt::format("ch={} len={} h={:016x}", cast.channel, cast.bytes.size(), digest));
  // The receivers are the members at sending time, in node order, so the
  // fault model's draws come in a fixed order.
  for (NodeId to = 0; to < nodes_.size(); ++to) {
    if (to != from && joined(to, cast.channel)) carry(from, to, cast.bytes, digest, cast.channel);
  }
}

void Simulator::carry(NodeId from, NodeId to, const Buffer& bytes, std::uint64_t digest,
                      std::optional<ChannelId> channel) {
  if (network_.blocked(from, to)) {
    ++stats_.packets_blocked;
    return;
  }
  std::vector<Duration> delays = network_.fate(from, to, network_rng_);
  if (delays.empty()) ++stats_.packets_lost;
  if (delays.size() > 1) ++stats_.packets_duplicated;
  for (Duration delay : delays) {
    schedule(now_ + delay, [this, from, to, bytes, digest, channel] {
      Node& n = nodes_[to];
      if (n.machine == nullptr) {
        ++stats_.packets_to_down_nodes;
        return;
      }
      if (channel && !joined(to, *channel)) {
        ++stats_.packets_after_leave;
        return;
      }
      ++stats_.packets_delivered;
      note("recv", to, fmt::format("from={} h={:016x}", from, digest));
      Actions actions;
      n.machine->on_packet(now_, from, bytes, actions);
      apply(to, actions);
    });
  }
}

void Simulator::arm_timer(NodeId node, const SetTimerAction& timer) {
  std::uint64_t generation = next_timer_generation_++;
  nodes_[node].timer_generation[timer.key] = generation;
  schedule(now_ + timer.after, [this, node, key = timer.key, generation] {
    Node& n = nodes_[node];
    auto it = n.timer_generation.find(key);
    if (n.machine == nullptr || it == n.timer_generation.end() || it->second != generation) return;
    n.timer_generation.erase(it);
    ++stats_.timers_fired;
    note("timer", node, fmt::format("key={}", key));
    Actions actions;
    n.machine->on_timer(now_, key, actions);
    apply(node, actions);
  });
}

void Simulator::run_until(TimePoint until) {
  while (!queue_.empty() && queue_.top().time <= until) {
    // top() is const only to protect the heap order, which pop() discards.
    Event event = std::move(const_cast<Event&>(queue_.top()));
    queue_.pop();
    now_ = event.time;
    ++stats_.events;
    event.run();
  }
  now_ = std::max(now_, until);
}

}  // namespace cohort::sim
