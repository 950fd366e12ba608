// The tree launch of `cohort run` as I/O-free machines: what the client and
// each relaying daemon do, with the costs that matter for how long a launch
// takes (one sequential connect + request per branch head, the task's own
// start) expressed as timers, so the simulator's virtual time includes them.
//
// Node ids: the client is node 0 and host index i is node i + 1; a driver maps
// both to addresses from the host list.
//
// A node that gets a Launch starts its task and, meanwhile, sends Launch to
// its branch heads one after another (plan_branches on its subtree, with the
// launch's width). It answers Ready to whoever sent the Launch once its task
// is running and every branch has answered or timed out; a branch that timed
// out, or answered counts that do not add up to its size, counts wholly
// failed. So a crashed node costs its branch, never the launch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "cohort/core/machine.h"
#include "cohort/exec/launch_message.h"
#include "cohort/exec/launch_plan.h"

namespace cohort::exec {

inline constexpr NodeId kLaunchClient = 0;
inline NodeId launch_node(std::size_t host) { return static_cast<NodeId>(host + 1); }

struct LaunchCosts {
  // TLS connect + request to one branch head; a daemon does these in turn.
  Duration per_child = 1ms;
  // From a Launch arriving to the node's task running. It overlaps the sends:
  // fork, exec and the loader run in the new process, not on the daemon's loop.
  Duration spawn = 5ms;
};

// How long to wait for a branch whose head relays to `subtree_size` hosts.
Duration branch_timeout(std::size_t subtree_size, std::size_t width, Duration level_timeout);

// Sends one Launch per branch head, per_child apart, and tallies the answers.
// Shared by the client and the relaying daemons.
class BranchFanOut {
 public:
  explicit BranchFanOut(Duration per_child) : per_child_(per_child) {}

  // `launch` carries the id, width and timeout to pass on; its head and
  // subtree are replaced per branch.
  void begin(const Launch& launch, std::span<const std::size_t> hosts, Actions& out);
  // Returns false if the key is not one of the fan-out's timers.
  bool on_timer(TimerKey key, Actions& out);
  void on_ready(NodeId from, const Ready& ready, Actions& out);

  bool done() const { return answered_ == branches_.size(); }
  std::uint32_t started() const { return started_; }
  std::uint32_t failed() const { return failed_; }

 private:
  void send_next(Actions& out);
  void settle(std::size_t branch, std::uint32_t started);

  Duration per_child_;
  Launch launch_;
  std::vector<Branch> branches_;
  std::vector<bool> answered_branch_;
  std::unordered_map<NodeId, std::size_t> branch_of_;
  std::size_t sent_ = 0;
  std::size_t answered_ = 0;
  std::uint32_t started_ = 0;
  std::uint32_t failed_ = 0;
};

// A host's daemon in one launch. Outputs "task started host=H" and
// "ready host=H started=S failed=F" (and "branch lost ..." on a timeout).
class LaunchNode final : public Machine {
 public:
  LaunchNode(NodeId self, LaunchCosts costs) : self_(self), costs_(costs), fan_out_(costs.per_child) {}

  void start(TimePoint, Actions&) override {}
  void on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) override;
  void on_timer(TimePoint now, TimerKey key, Actions& out) override;

 private:
  void on_launch(NodeId from, const Launch& launch, Actions& out);
  void reply_when_done(Actions& out);
  std::size_t host() const { return self_ - 1; }

  NodeId self_;
  LaunchCosts costs_;
  BranchFanOut fan_out_;
  bool launched_ = false;
  bool task_started_ = false;
  bool replied_ = false;
  NodeId parent_ = kLaunchClient;
  std::uint64_t launch_id_ = 0;
};

struct LaunchClientOptions {
  std::uint64_t launch_id = 1;
  std::size_t hosts = 0;  // at most kMaxLaunchHosts
  std::size_t width = kDefaultLaunchWidth;  // 1..kMaxLaunchWidth
  // Must exceed one level's worst case: spawn + width * per_child + a round trip.
  Duration level_timeout = 1s;
  Duration per_child = LaunchCosts{}.per_child;
};

// The client (`cohort run`): the root of the tree, done once the Readys
// account for every host. Outputs "done started=S failed=F".
class LaunchClient final : public Machine {
 public:
  explicit LaunchClient(LaunchClientOptions options) : options_(options), fan_out_(options.per_child) {}

  void start(TimePoint now, Actions& out) override;
  void on_packet(TimePoint now, NodeId from, const Buffer& bytes, Actions& out) override;
  void on_timer(TimePoint now, TimerKey key, Actions& out) override;

  bool finished() const { return finished_; }
  Duration elapsed() const { return finish_time_ - start_time_; }
  std::uint32_t started() const { return fan_out_.started(); }
  std::uint32_t failed() const { return fan_out_.failed(); }

 private:
  void finish_when_done(TimePoint now, Actions& out);

  LaunchClientOptions options_;
  BranchFanOut fan_out_;
  bool finished_ = false;
  TimePoint start_time_{};
  TimePoint finish_time_{};
};

}  // namespace cohort::exec
