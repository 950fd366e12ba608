// The bookkeeping of one hop of a relayed run: ranks per node, branches,
// which branch may speak for which rank, and what a lost or silent branch costs.
#include "cohort/exec/run_routes.h"

#include <gtest/gtest.h>

namespace cohort::exec {
namespace {

RunSpec spec(std::size_t nodes, std::uint32_t per_host, std::uint32_t ranks, std::uint32_t width) {
  RunSpec s;
  s.nodes.resize(nodes, "h:1");
  s.per_host = per_host;
  s.ranks = ranks;
  s.width = width;
  return s;
}

TEST(RunRoutes, NodesRunConsecutiveRanksAndTheLastMayRunFewer) {
  RunSpec s = spec(3, 2, 5, 2);
  EXPECT_EQ(ranks_of_node(s, 0).first, 0u);
  EXPECT_EQ(ranks_of_node(s, 0).end, 2u);
  EXPECT_EQ(ranks_of_node(s, 2).first, 4u);
  EXPECT_EQ(ranks_of_node(s, 2).end, 5u);
  EXPECT_EQ(ranks_of_node(spec(4, 2, 5, 2), 3).end, 0u);  // no ranks left for node 3
}

TEST(RunRoutes, BranchesFollowThePlanAndOwnTheirNodesRanks) {
  RunSpec s = spec(5, 2, 10, 2);
  std::vector<std::uint32_t> subtree = {1, 2, 3, 4};
  RunRoutes routes(s, subtree);
  ASSERT_EQ(routes.branches().size(), 2u);
  EXPECT_EQ(routes.ranks_of_branch(0), (std::vector<std::uint32_t>{2, 3, 4, 5}));
  EXPECT_EQ(routes.ranks_of_branch(1), (std::vector<std::uint32_t>{6, 7, 8, 9}));
  EXPECT_EQ(routes.branch_of(7), 1u);
  EXPECT_FALSE(routes.branch_of(0));   // node 0 is not in this subtree
  EXPECT_FALSE(routes.branch_of(10));  // no such rank
}

TEST(RunRoutes, ABranchSpeaksOnlyForItsRanksAndNotAfterTheirEnd) {
  RunSpec s = spec(3, 1, 3, 2);
  std::vector<std::uint32_t> subtree = {1, 2};
  RunRoutes routes(s, subtree);
  EXPECT_FALSE(routes.accept(0, 2, false));  // rank 2 is branch 1's
  EXPECT_TRUE(routes.accept(0, 1, false));
  EXPECT_TRUE(routes.accept(0, 1, true));
  EXPECT_FALSE(routes.accept(0, 1, false));  // after its exit
  EXPECT_TRUE(routes.branch_done(0));
  EXPECT_FALSE(routes.all_done());
}

TEST(RunRoutes, ALostBranchCostsItsOpenRanksASilentOneItsUnheardRanks) {
  RunSpec s = spec(4, 1, 4, 1);  // a chain: one branch holding nodes 1-3
  std::vector<std::uint32_t> subtree = {1, 2, 3};
  RunRoutes routes(s, subtree);
  EXPECT_TRUE(routes.accept(0, 1, true));
  EXPECT_TRUE(routes.accept(0, 2, false));
  EXPECT_EQ(routes.overdue(0), (std::vector<std::uint32_t>{3}));
  EXPECT_FALSE(routes.branch_done(0));
  EXPECT_EQ(routes.lose(0), (std::vector<std::uint32_t>{2}));
  EXPECT_TRUE(routes.all_done());
  EXPECT_TRUE(routes.lose(0).empty());
}

}  // namespace
}  // namespace cohort::exec
