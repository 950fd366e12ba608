#include "cohort/group/types.h"

#include <fmt/format.h>

namespace cohort::group {

std::string Endpoint::to_string() const { return fmt::format("{}.{}", node, incarnation); }

std::string ViewId::to_string() const { return fmt::format("{}:{}", ltime, coordinator.to_string()); }

Rank View::rank_of(const Endpoint& e) const {
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i] == e) return static_cast<Rank>(i);
  }
  return kNoRank;
}

}  // namespace cohort::group
