// Picks the actions of one kind out of what a Machine (or a layer) asked for,
// in order: tests drive machines by hand and inspect their sends and timers.
#pragma once

#include <variant>
#include <vector>

#include "cohort/core/machine.h"

namespace cohort::testing {

template <typename A>
std::vector<A> actions_of(const Actions& out) {
  std::vector<A> found;
  for (const Action& a : out.list()) {
    if (const auto* x = std::get_if<A>(&a)) found.push_back(*x);
  }
  return found;
}

}  // namespace cohort::testing
