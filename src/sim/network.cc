#include "cohort/sim/network.h"

#include <cmath>

namespace cohort::sim {

const LinkProfile& Network::link(NodeId from, NodeId to) const {
  auto it = links_.find({from, to});
  return it == links_.end() ? default_ : it->second;
}

void Network::partition(const std::vector<std::vector<NodeId>>& groups) {
  for (std::size_t a = 0; a < groups.size(); ++a) {
    for (std::size_t b = 0; b < groups.size(); ++b) {
      if (a == b) continue;
      for (NodeId x : groups[a]) {
        for (NodeId y : groups[b]) blocked_.insert({x, y});
      }
    }
  }
}

double Network::loss_now(NodeId from, NodeId to, const LinkProfile& p, Rng& rng) {
  if (p.burst_enter <= 0) return p.loss;
  const std::pair<NodeId, NodeId> key{from, to};
  const bool bad = bad_links_.count(key) != 0;
  if (!bad && rng.chance(p.burst_enter)) {
    bad_links_.insert(key);
    return p.burst_loss;
  }
  if (bad && rng.chance(p.burst_exit)) {
    bad_links_.erase(key);
    return p.loss;
  }
  return bad ? p.burst_loss : p.loss;
}

std::vector<Duration> Network::fate(NodeId from, NodeId to, Rng& rng) {
  const LinkProfile& p = link(from, to);
  std::vector<Duration> out;
  if (rng.chance(loss_now(from, to, p, rng))) return out;
  int copies = rng.chance(p.duplicate) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    Duration delay = rng.duration_between(p.min_delay, p.max_delay);
    if (rng.chance(p.reorder)) delay += p.reorder_delay;
    if (p.tail_mean > Duration::zero()) {
      double draw = -std::log1p(-rng.unit()) * static_cast<double>(p.tail_mean.count());
      delay += Duration(static_cast<Duration::rep>(draw));
    }
    out.push_back(delay);
  }
  return out;
}

}  // namespace cohort::sim
