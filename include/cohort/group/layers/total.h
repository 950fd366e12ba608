// total: agreed total order by a sequencer. The first member of the view
// orders casts: it casts ORDER messages, each a list of runs "the next k casts
// of origin r", and every member delivers data casts in that order. Sits above
// the membership layer: when a view ends, every member that moves on has the
// same data casts and ORDER messages (virtual synchrony), so each delivers
// what is still unordered in the same fixed order (by rank, then FIFO)
// before the new view; a sequencer failure is handled by that view change.
//
// Header: kind:1 (1 data, 2 order). ORDER payload: u32 view ltime, u16 run
// count, runs of (u16 origin rank, u32 count); an ORDER of another view is
// ignored.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "cohort/group/layer.h"

namespace cohort::group {

class Total final : public Layer {
 public:
  struct Options {
    // How long the sequencer gathers casts into one ORDER (0: at the end of
    // the current batch of work).
    Duration order_delay = Duration::zero();
  };
  Total() : Total(Options()) {}
  explicit Total(Options options) : options_(options) {}

  std::string_view name() const override { return "total"; }
  std::vector<HeaderField> header_fields() const override { return {{"kind", 1}}; }
  void down(Msg msg, LayerContext& ctx) override;
  void up(Msg msg, LayerContext& ctx) override;
  void up_event(const Event& event, LayerContext& ctx) override;
  void timer(std::uint32_t key, LayerContext& ctx) override;

  std::size_t unordered() const;

 private:
  struct Run {
    Rank origin;
    std::uint32_t count;
  };
  void on_order(const Msg& msg);
  void deliver_ordered(LayerContext& ctx);
  void deliver_rest(LayerContext& ctx);
  void send_order(LayerContext& ctx);
  bool sequencer(const LayerContext& ctx) const;
  void reset(std::shared_ptr<const View> view);

  Options options_;
  std::shared_ptr<const View> view_;
  std::vector<std::deque<Msg>> waiting_;  // data casts per origin rank, not yet delivered
  std::deque<Run> order_;                  // runs still to deliver
  std::vector<Run> to_announce_;           // sequencer: runs not yet cast
  bool order_timer_armed_ = false;
  bool blocked_ = false;
};

}  // namespace cohort::group
