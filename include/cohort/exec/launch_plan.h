// The shape of a tree launch: how `cohort run` splits its host list among
// daemons so that starting N tasks takes O(log N) relay steps, not N. Pure
// functions; the client and every relaying daemon call plan_branches on the
// list they were handed, with the same width, so the whole tree follows from
// the host list and the width alone. Ranks come from positions in the original
// host list, never from the tree, so the plan cannot change who gets which rank.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace cohort::exec {

// Widths below 2 make a chain (depth N); 32 keeps a 10,000-host launch at
// depth 3 while one daemon's sequential connects stay short.
inline constexpr std::size_t kDefaultLaunchWidth = 32;

// One branch of a launch: `head` is launched directly and relays to `subtree`
// (the rest of its chunk). Both hold host indices: values taken from the list
// that was planned, i.e. positions in the original host list.
struct Branch {
  std::size_t head = 0;
  std::vector<std::size_t> subtree;
  bool operator==(const Branch&) const = default;
};

// Splits `hosts` into min(width, size) contiguous chunks whose sizes differ by
// at most one (larger chunks first), in order; each chunk's first host heads
// it. REQUIRES: width >= 1.
std::vector<Branch> plan_branches(std::span<const std::size_t> hosts, std::size_t width);

// Levels of hosts below the client when n hosts are planned with `width`
// (0 for no hosts, 1 when every host is launched by the client itself).
// REQUIRES: width >= 1.
std::size_t tree_depth(std::size_t n, std::size_t width);

}  // namespace cohort::exec
