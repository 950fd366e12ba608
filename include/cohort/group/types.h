// Identities and views of the group subsystem. An Endpoint is one process
// (a node and its incarnation); a View is the ordered member list a group
// agreed on, identified by a ViewId that increases from view to view.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "cohort/core/machine.h"

namespace cohort::group {

// Position of a member in the current view (0 = first member).
using Rank = std::uint16_t;
inline constexpr Rank kNoRank = 0xffff;

struct Endpoint {
  NodeId node = 0;
  std::uint32_t incarnation = 0;
  auto operator<=>(const Endpoint&) const = default;
  std::string to_string() const;  // "node.incarnation"
};

struct ViewId {
  std::uint32_t ltime = 0;  // logical time: grows with every view change
  Endpoint coordinator;     // who installed it; makes concurrent views distinct
  auto operator<=>(const ViewId&) const = default;
  std::string to_string() const;  // "ltime:node.incarnation"
};

struct View {
  ViewId id;
  std::vector<Endpoint> members;  // rank order
  bool primary = false;           // holds a majority of the previous primary view
  std::vector<Endpoint> left;     // in the previous view, not in this one
  std::vector<Endpoint> joined;   // in this view, not in the previous one
  // Per member (rank order): the view it comes from. Empty when not known
  // (a process's first view, a static view).
  std::vector<ViewId> previous;

  Rank rank_of(const Endpoint& e) const;  // kNoRank if absent
  bool contains(const Endpoint& e) const { return rank_of(e) != kNoRank; }
  std::size_t size() const { return members.size(); }
};

}  // namespace cohort::group
