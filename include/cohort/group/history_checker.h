// Checks a group history (history.h) offline, across members, against the
// properties of virtual synchrony that docs/group/history.md defines. Each
// violation is one readable line; the list per property is capped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/group/history.h"

namespace cohort::group {

struct CheckOptions {
  bool total_order = false;         // the stack orders casts totally
  bool expect_final_view = false;   // the run ended quiet: check liveness
  std::size_t max_violations = 20;  // kept per property; the rest are only counted
};

struct PropertyResult {
  std::string name;
  bool checked = true;
  std::vector<std::string> violations;
  std::size_t violation_count = 0;  // may exceed violations.size()
  bool ok() const { return violation_count == 0; }
};

struct HistoryCheck {
  std::vector<PropertyResult> properties;
  std::size_t members = 0;
  std::size_t views = 0;  // distinct view ids
  std::size_t casts = 0;
  std::size_t deliveries = 0;
  bool ok() const;
  const PropertyResult* find(std::string_view name) const;
};

// Events of several members may be interleaved; a member's events must keep
// the order that member saw them in.
HistoryCheck check_history(const std::vector<HistoryEvent>& events, const CheckOptions& options);

}  // namespace cohort::group
