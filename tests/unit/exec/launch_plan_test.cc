// The tree launch plan: every host lands in exactly one branch at every level,
// chunks are near-equal, and the depth grows with log(N) for widths >= 2.
#include "cohort/exec/launch_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cohort::exec {
namespace {

std::vector<std::size_t> first_hosts(std::size_t n) {
  std::vector<std::size_t> hosts(n);
  std::iota(hosts.begin(), hosts.end(), std::size_t{0});
  return hosts;
}

// Plans recursively as the relaying daemons do; returns each host's launch
// count and the depth reached.
std::size_t plan_all(std::span<const std::size_t> hosts, std::size_t width, std::vector<int>& launched) {
  std::size_t depth = 0;
  for (const Branch& b : plan_branches(hosts, width)) {
    ++launched.at(b.head);
    depth = std::max(depth, 1 + plan_all(b.subtree, width, launched));
  }
  return depth;
}

TEST(LaunchPlan, OneLevelCoversTheListInOrderWithNearEqualChunks) {
  for (std::size_t n : {1u, 2u, 7u, 31u, 32u, 33u, 100u, 1000u}) {
    for (std::size_t width : {1u, 2u, 3u, 8u, 32u, 64u}) {
      auto hosts = first_hosts(n);
      auto branches = plan_branches(hosts, width);
      ASSERT_EQ(branches.size(), std::min(n, width)) << n << " hosts, width " << width;
      std::vector<std::size_t> flat;
      std::size_t smallest = n, largest = 0;
      for (const Branch& b : branches) {
        flat.push_back(b.head);
        flat.insert(flat.end(), b.subtree.begin(), b.subtree.end());
        smallest = std::min(smallest, 1 + b.subtree.size());
        largest = std::max(largest, 1 + b.subtree.size());
      }
      EXPECT_EQ(flat, hosts) << n << " hosts, width " << width;
      EXPECT_LE(largest - smallest, 1u) << n << " hosts, width " << width;
    }
  }
}

TEST(LaunchPlan, EveryHostIsLaunchedExactlyOnceAndTheDepthMatchesTreeDepth) {
  for (std::size_t n : {0u, 1u, 2u, 10u, 33u, 500u, 1025u, 10000u}) {
    for (std::size_t width : {2u, 3u, 8u, 16u, 32u}) {
      std::vector<int> launched(n, 0);
      std::size_t depth = plan_all(first_hosts(n), width, launched);
      EXPECT_TRUE(std::all_of(launched.begin(), launched.end(), [](int c) { return c == 1; }))
          << n << " hosts, width " << width;
      EXPECT_EQ(depth, tree_depth(n, width)) << n << " hosts, width " << width;
    }
  }
}

TEST(LaunchPlan, HostValuesAreCarriedNotPositions) {
  std::vector<std::size_t> hosts = {40, 41, 42, 90, 91};
  auto branches = plan_branches(hosts, 2);
  ASSERT_EQ(branches.size(), 2u);
  EXPECT_EQ(branches[0], (Branch{40, {41, 42}}));
  EXPECT_EQ(branches[1], (Branch{90, {91}}));
}

TEST(LaunchPlan, DepthIsLogarithmicForWidthsOfTwoOrMore) {
  for (std::size_t width : {2u, 3u, 8u, 16u, 32u}) {
    for (std::size_t n = 1; n <= 20000; n = n * 3 + 1) {
      std::size_t depth = tree_depth(n, width);
      auto log_n = static_cast<std::size_t>(
          std::ceil(std::log(static_cast<double>(n)) / std::log(static_cast<double>(width)) - 1e-9));
      EXPECT_LE(depth, std::max<std::size_t>(log_n, 1)) << n << " hosts, width " << width;
      // A tree of that depth has room for them: width + width^2 + ... + width^depth >= n.
      double room = 0, level = 1;
      for (std::size_t d = 0; d < depth; ++d) room += (level *= static_cast<double>(width));
      EXPECT_GE(room, static_cast<double>(n)) << n << " hosts, width " << width;
    }
  }
  EXPECT_EQ(tree_depth(10000, 32), 3u);
}

TEST(LaunchPlan, WidthOneIsAChain) {
  auto branches = plan_branches(first_hosts(5), 1);
  ASSERT_EQ(branches.size(), 1u);
  EXPECT_EQ(branches[0], (Branch{0, {1, 2, 3, 4}}));
  EXPECT_EQ(tree_depth(5, 1), 5u);
}

TEST(LaunchPlan, WidthAtLeastTheHostCountIsFlat) {
  for (std::size_t width : {10u, 11u, 1000u}) {
    auto branches = plan_branches(first_hosts(10), width);
    ASSERT_EQ(branches.size(), 10u);
    for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(branches[i], (Branch{i, {}}));
    EXPECT_EQ(tree_depth(10, width), 1u);
  }
}

TEST(LaunchPlan, NoHostsAndOneHost) {
  EXPECT_TRUE(plan_branches({}, 32).empty());
  EXPECT_EQ(tree_depth(0, 32), 0u);
  auto one = plan_branches(first_hosts(1), 32);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], (Branch{0, {}}));
  EXPECT_EQ(tree_depth(1, 32), 1u);
}

}  // namespace
}  // namespace cohort::exec
