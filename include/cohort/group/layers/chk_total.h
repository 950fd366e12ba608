// chk_total: checks that the members of a view deliver casts in one order.
// Each member folds its deliveries of a view into a running digest per
// position (position k: a hash of the first k casts, in order) and gossips
// its latest (count, digest) with the digest of its previous view; a member
// that reached the same position compares. Positions compared during a view
// are those delivered before the view change began (after it, members that
// part ways legitimately deliver different remainders); members that move to
// the next view together compare their whole final sequences.
// Protocol: docs/group/layers/chk_total.md.
#pragma once

#include <deque>
#include <map>

#include "cohort/group/layers/checker.h"

namespace cohort::group {

class ChkTotal final : public Checker {
 public:
  explicit ChkTotal(CheckerOptions options = {}) : Checker(options, /*gossips=*/true) {}
  std::string_view name() const override { return "chk_total"; }
  void up_event(const Event& event, LayerContext& ctx) override;

  // Positions of a view whose digests are kept for comparison (the latest).
  static constexpr std::size_t kWindow = std::size_t{1} << 16;

 private:
  // The digest after each position of one view, for the latest kWindow.
  struct Positions {
    std::deque<std::uint64_t> chains;
    std::uint64_t first = 1;  // position of chains.front()
    const std::uint64_t* at(std::uint64_t position) const;
    void push(std::uint64_t chain);
  };
  void delivered(const Cast& cast, LayerContext& ctx) override;
  void view_ending(LayerContext& ctx) override;
  void compare(const Endpoint& from, const CheckSummary& theirs, LayerContext& ctx) override;
  void compare_current(const Endpoint& from, std::uint64_t position, std::uint64_t chain, LayerContext& ctx);
  void compare_previous(const Endpoint& from, const ViewDigest& theirs, LayerContext& ctx);

  Positions current_, previous_;
  // Positions of the current view that are compared: all until the view
  // change begins (BlockEvent), then no more.
  std::uint64_t comparable_ = ~std::uint64_t{0};
  // Other members' claims for positions this member has not reached yet.
  std::map<Endpoint, std::pair<std::uint64_t, std::uint64_t>> pending_;
  bool reported_current_ = false, reported_previous_ = false;  // once per view each
};

}  // namespace cohort::group
