#include "cohort/exec/run_routes.h"

#include <algorithm>

namespace cohort::exec {

RankRange ranks_of_node(const RunSpec& spec, std::uint32_t node) {
  std::uint64_t first = static_cast<std::uint64_t>(node) * spec.per_host;
  std::uint64_t end = std::min<std::uint64_t>(first + spec.per_host, spec.ranks);
  if (first >= end) return {};
  return {static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(end)};
}

RunRoutes::RunRoutes(const RunSpec& spec, std::span<const std::uint32_t> subtree) : spec_(spec) {
  std::vector<std::size_t> hosts(subtree.begin(), subtree.end());
  branches_ = plan_branches(hosts, spec.width);
  open_.assign(branches_.size(), 0);
  for (std::size_t b = 0; b < branches_.size(); ++b) {
    branch_of_node_[static_cast<std::uint32_t>(branches_[b].head)] = b;
    for (std::size_t node : branches_[b].subtree) branch_of_node_[static_cast<std::uint32_t>(node)] = b;
    for (std::uint32_t rank : ranks_of_branch(b)) {
      if (ranks_.emplace(rank, RankState::waiting).second) ++open_[b];
    }
  }
}

std::vector<std::uint32_t> RunRoutes::ranks_of_branch(std::size_t b) const {
  std::vector<std::uint32_t> out;
  auto add = [&](std::size_t node) {
    RankRange range = ranks_of_node(spec_, static_cast<std::uint32_t>(node));
    for (std::uint32_t r = range.first; r < range.end; ++r) out.push_back(r);
  };
  add(branches_[b].head);
  for (std::size_t node : branches_[b].subtree) add(node);
  return out;
}

std::optional<std::size_t> RunRoutes::branch_of(std::uint32_t rank) const {
  if (rank >= spec_.ranks) return std::nullopt;
  auto it = branch_of_node_.find(rank / spec_.per_host);
  if (it == branch_of_node_.end()) return std::nullopt;
  return it->second;
}

bool RunRoutes::accept(std::size_t b, std::uint32_t rank, bool ends) {
  if (branch_of(rank) != b) return false;
  RankState& state = ranks_.at(rank);
  if (state == RankState::ended) return false;
  state = ends ? RankState::ended : RankState::started;
  if (ends) --open_[b];
  return true;
}

std::vector<std::uint32_t> RunRoutes::lose(std::size_t b) { return end_where(b, false); }

std::vector<std::uint32_t> RunRoutes::overdue(std::size_t b) { return end_where(b, true); }

std::vector<std::uint32_t> RunRoutes::end_where(std::size_t b, bool only_waiting) {
  std::vector<std::uint32_t> ended;
  for (std::uint32_t rank : ranks_of_branch(b)) {
    RankState& state = ranks_.at(rank);
    if (state == RankState::ended || (only_waiting && state != RankState::waiting)) continue;
    state = RankState::ended;
    --open_[b];
    ended.push_back(rank);
  }
  return ended;
}

bool RunRoutes::all_done() const {
  return std::all_of(open_.begin(), open_.end(), [](std::size_t n) { return n == 0; });
}

}  // namespace cohort::exec
