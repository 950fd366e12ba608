#include "cohort/group/layers/chk_total.h"

#include <fmt/format.h>

namespace cohort::group {

const std::uint64_t* ChkTotal::Positions::at(std::uint64_t position) const {
  if (position < first || position - first >= chains.size()) return nullptr;
  return &chains[position - first];
}

void ChkTotal::Positions::push(std::uint64_t chain) {
  chains.push_back(chain);
  if (chains.size() > kWindow) {
    chains.pop_front();
    ++first;
  }
}

void ChkTotal::delivered(const Cast& /*cast*/, LayerContext& ctx) {
  current_.push(current().chain);
  const std::uint64_t position = current().count;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.first == position) {
      compare_current(it->first, position, it->second.second, ctx);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

void ChkTotal::up_event(const Event& event, LayerContext& ctx) {
  if (std::holds_alternative<BlockEvent>(event)) {
    comparable_ = current().count;
    pending_.clear();
  }
  Checker::up_event(event, ctx);
}

void ChkTotal::view_ending(LayerContext& /*ctx*/) {
  previous_ = std::move(current_);
  current_ = Positions{};
  comparable_ = ~std::uint64_t{0};
  pending_.clear();
  reported_previous_ = reported_current_;
  reported_current_ = false;
}

void ChkTotal::compare(const Endpoint& from, const CheckSummary& theirs, LayerContext& ctx) {
  const std::uint64_t position = theirs.current.count;
  if (position > 0 && position <= comparable_) {
    if (position <= current().count) {
      compare_current(from, position, theirs.current.chain, ctx);
    } else {
      pending_.try_emplace(from, position, theirs.current.chain);  // the earliest claim is checked first
    }
  }
  if (theirs.previous && previous() && theirs.previous->view == previous()->view) {
    compare_previous(from, *theirs.previous, ctx);
  }
}

void ChkTotal::compare_current(const Endpoint& from, std::uint64_t position, std::uint64_t chain,
                               LayerContext& ctx) {
  const std::uint64_t* mine = current_.at(position);
  if (mine == nullptr) return;
  count_comparison();
  if (*mine == chain || reported_current_) return;
  reported_current_ = true;
  report(fmt::format("in view {} its first {} deliveries differ from those of {} (order or casts)",
                     current().view.to_string(), position, from.to_string()),
         ctx);
}

// Both moved from that view to the current one, so both delivered the same
// casts in it (virtual synchrony); total order makes the sequences equal.
// Compared at the shorter one's length, so a missing cast at the end is left
// to chk_sync.
void ChkTotal::compare_previous(const Endpoint& from, const ViewDigest& theirs, LayerContext& ctx) {
  const std::uint64_t* mine = previous_.at(theirs.count);
  if (mine == nullptr) return;
  count_comparison();
  if (*mine == theirs.chain || reported_previous_) return;
  reported_previous_ = true;
  report(fmt::format("in view {} its first {} deliveries differ from those of {} (order or casts)",
                     theirs.view.to_string(), theirs.count, from.to_string()),
         ctx);
}

}  // namespace cohort::group
