#include "cohort/exec/launch_plan.h"

#include <algorithm>
#include <cassert>

namespace cohort::exec {

std::vector<Branch> plan_branches(std::span<const std::size_t> hosts, std::size_t width) {
  assert(width >= 1);
  std::size_t chunks = std::min(width, hosts.size());
  std::vector<Branch> branches;
  branches.reserve(chunks);
  std::size_t begin = 0;
  for (std::size_t i = 0; i < chunks; ++i) {
    std::size_t size = hosts.size() / chunks + (i < hosts.size() % chunks ? 1 : 0);
    auto chunk = hosts.subspan(begin, size);
    branches.push_back(Branch{chunk.front(), {chunk.begin() + 1, chunk.end()}});
    begin += size;
  }
  return branches;
}

std::size_t tree_depth(std::size_t n, std::size_t width) {
  assert(width >= 1);
  std::size_t depth = 0;
  // The largest chunk is the deepest: its head relays to the other ceil(n / width) - 1.
  for (; n > 0; ++depth) n = (n + width - 1) / width - 1;
  return depth;
}

}  // namespace cohort::exec
