#include "cohort/group/layers/chk_fifo.h"

#include <fmt/format.h>

namespace cohort::group {

void ChkFifo::delivered(const Cast& cast, LayerContext& ctx) {
  auto [it, first] = last_.try_emplace(cast.origin, Last{cast.seq, current().view});
  if (first) return;
  Last& last = it->second;
  if (cast.seq <= last.seq) {
    report(fmt::format("cast {} of {} came up after its cast {} (duplicate or out of order) in view {}", cast.seq,
                       cast.origin.to_string(), last.seq, current().view.to_string()),
           ctx);
  } else if (last.view == current().view && cast.seq != last.seq + 1) {
    report(fmt::format("casts {}..{} of {} are missing before its cast {} in view {}", last.seq + 1, cast.seq - 1,
                       cast.origin.to_string(), cast.seq, current().view.to_string()),
           ctx);
  }
  last = Last{std::max(last.seq, cast.seq), current().view};
}

}  // namespace cohort::group
