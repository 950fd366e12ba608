// Checks a recorded history of ReliableBroadcast against its properties:
// integrity (no invented or altered messages), no duplicates, FIFO per
// origin, self-delivery, and agreement plus validity among the processes
// alive at the end. Each violation is one readable line.
#pragma once

#include <string>
#include <vector>

#include "cohort/sim/simulator.h"

namespace cohort::sim {

struct Process {
  NodeId node;
  std::uint32_t incarnation;
  auto operator<=>(const Process&) const = default;
};

struct RbcastCheck {
  std::vector<std::string> violations;
  std::size_t broadcasts = 0;
  std::size_t deliveries = 0;
  bool ok() const { return violations.empty(); }
};

// `survivors` are the processes up at the end, after the network healed.
RbcastCheck check_rbcast_history(const std::vector<HistoryEntry>& history,
                                 const std::vector<Process>& survivors);

}  // namespace cohort::sim
