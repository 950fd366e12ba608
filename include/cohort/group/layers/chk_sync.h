// chk_sync: checks virtual synchrony: members that install the same view
// straight from the same previous view delivered the same set of casts in
// that previous view. Each member gossips, in its new view, the digest of the
// set it delivered in the previous one (how many casts and an
// order-insensitive hash); a member with the same previous view compares.
// Protocol: docs/group/layers/chk_sync.md.
#pragma once

#include "cohort/group/layers/checker.h"

namespace cohort::group {

class ChkSync final : public Checker {
 public:
  explicit ChkSync(CheckerOptions options = {}) : Checker(options, /*gossips=*/true) {}
  std::string_view name() const override { return "chk_sync"; }

 private:
  void view_ending(LayerContext& ctx) override;
  void compare(const Endpoint& from, const CheckSummary& theirs, LayerContext& ctx) override;

  bool reported_ = false;  // once per view
};

}  // namespace cohort::group
