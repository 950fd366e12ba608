// delay: a fault injector (Ensemble's delay layer). Holds every message going
// up for a fixed time before passing it on, in arrival order, to model a slow
// path at any point of a stack. No header fields.
#pragma once

#include <deque>

#include "cohort/group/layer.h"

namespace cohort::group {

struct DelayOptions {
  Duration delay = std::chrono::milliseconds(20);
};

class Delay final : public Layer {
 public:
  explicit Delay(DelayOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "delay"; }
  void up(Msg msg, LayerContext& ctx) override;
  void timer(std::uint32_t key, LayerContext& ctx) override;

  std::size_t held() const { return held_.size(); }

 private:
  struct Held {
    TimePoint due;
    Msg msg;
  };
  static constexpr std::uint32_t kRelease = 1;

  DelayOptions options_;
  // Due times never decrease (one fixed delay), so the front is due first.
  std::deque<Held> held_;
};

}  // namespace cohort::group
