// The simulated network's fault model: per-link loss, duplication, delay and
// reordering, plus blocked directed links for symmetric and asymmetric
// partitions. All draws come from the simulator's seeded generator.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "cohort/core/clock.h"
#include "cohort/core/machine.h"
#include "cohort/core/rng.h"

namespace cohort::sim {

struct LinkProfile {
  double loss = 0.0;        // probability a packet is dropped
  double duplicate = 0.0;   // probability a packet is delivered twice
  Duration min_delay = std::chrono::microseconds(200);
  Duration max_delay = std::chrono::milliseconds(2);  // uniform in [min, max]: mild reordering
  double reorder = 0.0;     // probability of an extra delay that overtakes later packets
  Duration reorder_delay = std::chrono::milliseconds(30);
  // Mean of an exponentially distributed extra delay (a long tail, as queues
  // give); zero for none.
  Duration tail_mean = Duration::zero();
  // Bursty loss (Gilbert-Elliott): before each packet a link in the good
  // state turns bad with probability burst_enter, a bad one turns good with
  // burst_exit; a bad link loses packets with burst_loss instead of loss.
  // Zero burst_enter: independent loss only (and no extra draws).
  double burst_enter = 0.0;
  double burst_exit = 0.25;
  double burst_loss = 1.0;
};

class Network {
 public:
  void set_default(const LinkProfile& profile) { default_ = profile; }
  const LinkProfile& default_profile() const { return default_; }
  void set_link(NodeId from, NodeId to, const LinkProfile& profile) { links_[{from, to}] = profile; }
  const LinkProfile& link(NodeId from, NodeId to) const;

  // Nodes in different groups cannot reach each other, both ways. Nodes not
  // named in any group keep their links.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  void block(NodeId from, NodeId to) { blocked_.insert({from, to}); }
  void unblock(NodeId from, NodeId to) { blocked_.erase({from, to}); }
  void heal() { blocked_.clear(); }
  bool blocked(NodeId from, NodeId to) const { return blocked_.count({from, to}) != 0; }
  std::size_t blocked_links() const { return blocked_.size(); }

  // The delivery delays of one packet: empty if lost, two entries if duplicated.
  // Moves the link's burst state.
  std::vector<Duration> fate(NodeId from, NodeId to, Rng& rng);

 private:
  double loss_now(NodeId from, NodeId to, const LinkProfile& p, Rng& rng);

  LinkProfile default_;
  std::map<std::pair<NodeId, NodeId>, LinkProfile> links_;
  std::set<std::pair<NodeId, NodeId>> blocked_;
  std::set<std::pair<NodeId, NodeId>> bad_links_;  // in a loss burst
};

}  // namespace cohort::sim
