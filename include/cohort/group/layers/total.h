// total: agreed total order by a sequencer, uniform across failures. The first
// member of the view orders casts: it casts ORDER messages, each a list of
// runs "the next k casts of origin r". An ORDER is acted on only once it is
// committed: every member acknowledged it, so every member that goes on to a
// next view holds it (a member that crashes, or ends up in another partition,
// can never have delivered in an order the survivors do not know). When a
// view ends, each member finishes the ORDER runs it holds (runs of uncommitted
// ORDERs only for origins that move on with it), then delivers what is left of
// those origins by rank and FIFO; casts of origins that went elsewhere and that
// no committed ORDER covers are dropped (their own group delivers them).
// Protocol and proof sketch: docs/group/layers/total.md.
//
// Header: kind:1 (1 data, 2 order, 3 ack). ORDER payload: u32 view ltime, u32
// commit (ORDERs 1..commit are held by every member), u16 run count, runs of
// (u16 origin rank, u32 count); an ORDER without runs only commits. ACK (a
// send to the sequencer): u32 view ltime, u32 ORDERs held. Messages of
// another view are ignored.
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
    // How often a member repeats its ACK while its ORDERs are not committed.
    Duration ack_interval = std::chrono::milliseconds(20);
  };
  Total() : Total(Options()) {}
  explicit Total(Options options) : options_(options) {}

  std::string_view name() const override { return "total"; }
  std::vector<HeaderField> header_fields() const override { return {{"kind", 1}}; }
  void down(Msg msg, LayerContext& ctx) override;
  void up(Msg msg, LayerContext& ctx) override;
  void up_event(const Event& event, LayerContext& ctx) override;
  void timer(std::uint32_t key, LayerContext& ctx) override;

 private:
  struct Run {
    Rank origin;
    std::uint32_t count;
    std::uint32_t order = 0;  // index of the ORDER (from 1) that announced it
  };
  void on_data(Msg msg, LayerContext& ctx);
  void on_order(const Msg& msg, LayerContext& ctx);
  void on_ack(Rank from, const Msg& msg, LayerContext& ctx);
  void deliver_ordered(LayerContext& ctx);
  void finish_view(const View& next, LayerContext& ctx);
  void send_order(LayerContext& ctx);
  void send_ack(LayerContext& ctx);
  void arm_order(LayerContext& ctx);
  void try_commit(LayerContext& ctx);
  bool sequencer(const LayerContext& ctx) const;
  void reset(std::shared_ptr<const View> view, LayerContext& ctx);

  Options options_;
  std::shared_ptr<const View> view_;
  Rank me_ = kNoRank;
  std::vector<std::deque<Msg>> waiting_;  // data casts per origin rank, not yet delivered
  std::deque<Run> order_;                  // runs still to deliver
  std::uint32_t orders_ = 0;               // ORDERs received this view
  std::uint32_t committed_ = 0;            // ORDERs known to be held by every member
  // sequencer only
  std::vector<Run> to_announce_;           // runs not yet cast
  std::vector<std::uint32_t> acked_;       // per rank: ORDERs it holds
  std::uint32_t commit_sent_ = 0;
  bool order_timer_armed_ = false;
  bool ack_timer_armed_ = false;
  bool blocked_ = false;
};

}  // namespace cohort::group
