// safe: safe delivery (Ensemble's "safe"). Holds every cast coming up until
// the stability layer below reports it received by every member of the view
// (StableEvent), then passes it up, FIFO per origin. Under `total` it makes
// totally ordered casts safe: the sequencer orders a cast only once it is
// stable, and its ORDER is held the same way. At a new view it passes up all
// it holds before the view: the flush has already given every member that
// moves on the same casts, so they are stable among them.
// Protocol and placement: docs/group/layers/safe.md.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "cohort/group/layer.h"

namespace cohort::group {

struct SafeStats {
  std::uint64_t released_stable = 0;  // passed up once stable
  std::uint64_t released_at_view = 0;  // passed up by a view change
  std::uint64_t max_held = 0;
};

class Safe final : public Layer {
 public:
  std::string_view name() const override { return "safe"; }
  void up(Msg msg, LayerContext& ctx) override;
  void down_event(const Event& event, LayerContext& ctx) override;
  void up_event(const Event& event, LayerContext& ctx) override;

  std::size_t held() const;
  const SafeStats& stats() const { return stats_; }

 private:
  // The casts of one origin in the current view: the first `released` went
  // on, the next ones wait in `held`; the first `stable` are stable.
  struct Origin {
    std::deque<Msg> held;
    std::uint64_t released = 0;
    std::uint64_t stable = 0;
  };
  void release_stable(Origin& origin, LayerContext& ctx);
  void on_view(const std::shared_ptr<const View>& view, LayerContext& ctx);

  std::shared_ptr<const View> view_;
  std::vector<Origin> origins_;  // by rank
  SafeStats stats_;
};

}  // namespace cohort::group
