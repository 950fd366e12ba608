// drop: a fault injector (Ensemble's drop layer). Discards a seeded fraction
// of the casts and sends coming up from other members, so tests can put loss
// at any point of a stack, not only on the wire. Own loopback and direct
// messages always pass. No header fields.
#pragma once

#include <memory>

#include "cohort/group/layer.h"

namespace cohort::group {

struct DropOptions {
  double rate = 0.1;  // probability that a message going up is discarded
};

struct DropStats {
  std::uint64_t passed = 0;
  std::uint64_t dropped = 0;
};

class Drop final : public Layer {
 public:
  explicit Drop(DropOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "drop"; }
  void up(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;

  const DropStats& stats() const { return stats_; }

 private:
  DropOptions options_;
  Rank me_ = kNoRank;
  DropStats stats_;
};

}  // namespace cohort::group
