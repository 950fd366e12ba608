#include "cohort/group/layers/chk_sync.h"

#include <fmt/format.h>

namespace cohort::group {

void ChkSync::view_ending(LayerContext& /*ctx*/) { reported_ = false; }

void ChkSync::compare(const Endpoint& from, const CheckSummary& theirs, LayerContext& ctx) {
  const auto& mine = previous();
  if (!theirs.previous || !mine || theirs.previous->view != mine->view) return;
  count_comparison();
  if ((theirs.previous->count == mine->count && theirs.previous->set == mine->set) || reported_) return;
  reported_ = true;
  report(fmt::format("moved from view {} to {} with {}, but delivered {} casts there and {} delivered {} (sets differ)",
                     mine->view.to_string(), current().view.to_string(), from.to_string(), mine->count,
                     from.to_string(), theirs.previous->count),
         ctx);
}

}  // namespace cohort::group
