// The bookkeeping of one hop of a relayed `cohort run`, I/O-free: which
// ranks a node runs, how a subtree splits into branches (plan_branches with
// the run's width), which branch answers for which rank, and each rank's
// progress, so that a branch can speak only for its own ranks, nothing is
// reported for a rank after its end, and a lost or silent branch costs
// exactly its ranks that have not ended. Used by the client (the root) and
// by every relaying daemon.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "cohort/exec/launch_plan.h"
#include "cohort/exec/protocol.h"

namespace cohort::exec {

// The ranks node `node` runs: [first, end), empty past the last rank.
struct RankRange {
  std::uint32_t first = 0, end = 0;
};
RankRange ranks_of_node(const RunSpec& spec, std::uint32_t node);

class RunRoutes {
 public:
  RunRoutes(const RunSpec& spec, std::span<const std::uint32_t> subtree);

  const std::vector<Branch>& branches() const { return branches_; }
  // The ranks of every node of branch `b`, head first.
  std::vector<std::uint32_t> ranks_of_branch(std::size_t b) const;
  std::optional<std::size_t> branch_of(std::uint32_t rank) const;

  // An event from branch `b` about `rank` (`ends`: its exit or refusal).
  // False when it must be dropped: not one of the branch's ranks, or ended.
  bool accept(std::size_t b, std::uint32_t rank, bool ends);
  // The branch's ranks that have not ended, now ended (the branch was lost).
  std::vector<std::uint32_t> lose(std::size_t b);
  // The branch's ranks never heard of, now ended (the branch was too slow).
  std::vector<std::uint32_t> overdue(std::size_t b);
  bool branch_done(std::size_t b) const { return open_[b] == 0; }
  bool all_done() const;

 private:
  enum class RankState : std::uint8_t { waiting, started, ended };
  std::vector<std::uint32_t> end_where(std::size_t b, bool only_waiting);

  RunSpec spec_;
  std::vector<Branch> branches_;
  std::map<std::uint32_t, std::size_t> branch_of_node_;
  std::map<std::uint32_t, RankState> ranks_;
  std::vector<std::size_t> open_;  // per branch: ranks not ended
};

}  // namespace cohort::exec
